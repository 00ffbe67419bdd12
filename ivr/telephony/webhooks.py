"""The carrier's webhooks: signed form POSTs in, TwiML out (see CONTRACT.md)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import cast

from fastapi import APIRouter, HTTPException, Request, Response

from ivr.calls.state import CallState
from ivr.config import Settings
from ivr.telephony import connect, recording
from ivr.telephony.front_door import serve_hook
from ivr.telephony.signature import InvalidSignature
from ivr.telephony.step import Step
from ivr.telephony.switchboard import Handler, Switchboard
from ivr.telephony.twiml import XML_CONTENT_TYPE

router = APIRouter(prefix="/twilio", tags=["carrier webhooks"])


BoardHandler = Callable[[Switchboard, Step, Mapping[str, str]], Awaitable[None]]


async def _incoming(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    await board.incoming(step, params)


async def _gathered(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    await board.gathered(step, params)


async def _transfer_done(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    step.log("agent.result", {"agent_id": None, "dial_status": params.get("DialCallStatus")})
    connect.goodbye(step)


@dataclass(frozen=True)
class Hook:
    """One carrier webhook: its path, its handler, and how it answers the unexpected."""

    path: str
    kind: str
    handler: BoardHandler
    doc: str
    unknown: BoardHandler | None = None  # a call we have no state for (default: start again)
    hold: bool = False  # on failure, hold music rather than an apology and the queue
    cache: bool = True  # answer a carrier's retry from the cache

    def bound(self, board: Switchboard) -> Handler:
        return functools.partial(self.handler, board)

    def bound_unknown(self, board: Switchboard) -> Handler | None:
        return functools.partial(self.unknown, board) if self.unknown else None

    def fallback(self, board: Switchboard) -> Callable[[CallState | None, str], str] | None:
        """What the caller hears when anything fails (None: the switchboard's apology)."""
        return functools.partial(connect.hold, board=board) if self.hold else None


HOOKS: tuple[Hook, ...] = (
    Hook("/voice", "voice", _incoming, "A call comes in (the number's Voice URL)."),
    Hook("/gather", "gather", _gathered, "Keys or speech from a `<Gather>`, or its timeout."),
    Hook("/record", "record", recording.recorded, "A `<Record>` finished."),
    Hook(
        "/transcribing",
        "transcribing",
        recording.transcribing,
        "Polled while the caller's recording is transcribed.",
    ),
    Hook(
        "/queue/wait",
        "queue_wait",
        connect.queue_wait,
        "`<Enqueue waitUrl>`: news for a waiting caller.",
        unknown=connect.leave_queue,
        hold=True,
        cache=False,
    ),
    Hook(
        "/queue/key",
        "queue_key",
        connect.queue_key,
        "A key pressed while waiting.",
        unknown=connect.leave_queue,
        hold=True,
    ),
    Hook(
        "/queue/choice",
        "queue_choice",
        connect.queue_choice,
        "The caller's choice after the longest wait: callback or voicemail.",
        unknown=connect.leave_queue,
        hold=True,
    ),
    Hook("/queue/done", "queue_done", connect.queue_done, "`<Enqueue action>`: the caller left."),
    Hook(
        "/dial/done",
        "dial_done",
        connect.dial_done,
        "`<Dial action>`: the agent leg ended.",
        unknown=connect.unknown_dial,
    ),
    Hook(
        "/transfer/done",
        "transfer_done",
        _transfer_done,
        "A transfer outside the hotline ended.",
        unknown=connect.unknown_dial,
    ),
    Hook(
        "/status",
        "status",
        connect.call_ended,
        "The call's status callback (`CallStatus`, `CallDuration`).",
        unknown=connect.nothing,
        hold=True,
    ),
)


HOOKS_BY_PATH = {hook.path: hook for hook in HOOKS}


def _endpoint(hook: Hook) -> Callable[..., Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        # Reached for a body the front door leaves alone (not urlencoded); same answer.
        # The app's state is read as the front door reads it, not through the API's
        # dependencies: the carrier edge sits below the API.
        board = cast(Switchboard, request.app.state.switchboard)
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
