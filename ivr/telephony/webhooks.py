"""The carrier's webhooks: signed form POSTs in, TwiML out (see CONTRACT.md)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response

from ivr.api.deps import SettingsDep
from ivr.calls.state import CallState
from ivr.telephony import connect, recording
from ivr.telephony.signature import SignedParams, public_base_of, public_url_of
from ivr.telephony.step import Step
from ivr.telephony.switchboard import Switchboard
from ivr.telephony.twiml import XML_CONTENT_TYPE

router = APIRouter(prefix="/twilio", tags=["carrier webhooks"])


async def get_switchboard(request: Request) -> Switchboard:
    """The switchboard of this process."""
    return cast(Switchboard, request.app.state.switchboard)


SwitchboardDep = Annotated[Switchboard, Depends(get_switchboard)]
BoardHandler = Callable[[Switchboard, Step, Mapping[str, str]], Awaitable[None]]


async def _answer(
    request: Request,
    settings: SettingsDep,
    board: Switchboard,
    params: dict[str, str],
    kind: str,
    handler: BoardHandler,
    *,
    unknown: BoardHandler | None = None,
    hold: bool = False,
    cache: bool = True,
) -> Response:
    # Our own query parameters (flow, node, silence, ...) travel beside the carrier's.
    merged = {**params, **{k: v for k, v in request.query_params.items() if k not in params}}
    fallback: Callable[[CallState | None, str], str] | None = (
        functools.partial(connect.hold, board=board) if hold else None
    )
    xml = await board.answer(
        kind,
        merged,
        base_url=public_base_of(request, settings.public_url),
        url=public_url_of(request, settings.public_url),
        handler=functools.partial(handler, board),
        unknown=functools.partial(unknown, board) if unknown else None,
        fallback=fallback,
        cache=cache,
    )
    return Response(content=xml, media_type=XML_CONTENT_TYPE)


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


def _endpoint(hook: Hook) -> Callable[..., Awaitable[Response]]:
    async def endpoint(
        request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
    ) -> Response:
        return await _answer(
            request,
            settings,
            board,
            params,
            hook.kind,
            hook.handler,
            unknown=hook.unknown,
            hold=hook.hold,
            cache=hook.cache,
        )

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
