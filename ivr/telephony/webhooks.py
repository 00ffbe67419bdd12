"""The carrier's webhooks as FastAPI routes: documented in OpenAPI, any body Starlette parses.

Urlencoded POSTs are answered by the front door before FastAPI sees them
(front_door.py); these routes take the rest and answer alike, through `serve_hook`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import APIRouter, HTTPException, Request, Response

from ivr.config import Settings
from ivr.telephony.front_door import serve_hook
from ivr.telephony.hooks import HOOKS, CallController, Hook
from ivr.telephony.signature import InvalidSignature
from ivr.telephony.twiml import XML_CONTENT_TYPE

router = APIRouter(prefix="/twilio", tags=["carrier webhooks"])


def _endpoint(hook: Hook) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # Reached for a body the front door leaves alone (not urlencoded); same answer.
        # The app's state is read as the front door reads it, not through the API's
        # dependencies: the carrier edge sits below the API.
        board = cast(CallController, request.app.state.switchboard)
        settings = cast(Settings, request.app.state.settings)
        form = await request.form()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        try:
            xml = await serve_hook(hook, board, request.scope, fields, settings)
        except InvalidSignature as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from exc
        return Response(content=xml, media_type=XML_CONTENT_TYPE)

    endpoint.__doc__ = hook.doc
    return endpoint


for _hook in HOOKS:
    router.add_api_route(
        _hook.path,
        _endpoint(_hook),
        methods=["POST"],
        name=_hook.kind,
        summary=_hook.doc,
        response_class=Response,
    )
