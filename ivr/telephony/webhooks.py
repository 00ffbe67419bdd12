"""The carrier's webhooks as FastAPI routes: documented in OpenAPI, any body Starlette parses.

Urlencoded POSTs are answered by the front door before FastAPI sees them
(front_door.py); these routes take the rest and answer alike, through `serve_hook`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import APIRouter, HTTPException, Request, Response

from ivr.config import Settings
from ivr.telephony.front_door import MAX_BODY_BYTES, serve_hook
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
        # Refused before the body is read: an unsigned request, or one larger than any
        # carrier's form, costs us no memory and no parsing.
        if "x-twilio-signature" not in request.headers:
            raise HTTPException(status_code=403, detail="missing X-Twilio-Signature")
        await _read_capped(request)
        form = await request.form()
        fields = {key: value for key, value in form.items() if isinstance(value, str)}
        try:
            xml = await serve_hook(hook, board, request.scope, fields, settings)
        except InvalidSignature as exc:
            raise HTTPException(status_code=403, detail=str(exc)) from exc
        return Response(content=xml, media_type=XML_CONTENT_TYPE)

    endpoint.__doc__ = hook.doc
    return endpoint


async def _read_capped(request: Request) -> None:
    """Read the body, up to the front door's limit (413 beyond it); `form()` then parses it."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(status_code=413, detail="request body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise HTTPException(status_code=413, detail="request body too large")
    request._body = bytes(body)  # what Starlette's form() reads from, once consumed


for _hook in HOOKS:
    router.add_api_route(
        _hook.path,
        _endpoint(_hook),
        methods=["POST"],
        name=_hook.kind,
        summary=_hook.doc,
        response_class=Response,
    )
