"""The carrier's webhooks: signed form POSTs in, TwiML out (see CONTRACT.md)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request, Response

from ivr.api.deps import SettingsDep
from ivr.calls.state import CallState
from ivr.telephony import connect
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


async def _recorded(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    await board.recorded(step, params)


async def _transcribing(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    await board.transcribing(step, params)


async def _transfer_done(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    step.log("agent.result", {"agent_id": None, "dial_status": params.get("DialCallStatus")})
    connect.goodbye(step)


@router.post("/voice")
async def voice(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """A call comes in (the number's Voice URL)."""
    return await _answer(request, settings, board, params, "voice", _incoming)


@router.post("/gather")
async def gather(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """Keys or speech from a `<Gather>`, or its timeout."""
    return await _answer(request, settings, board, params, "gather", _gathered)


@router.post("/record")
async def record(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """A `<Record>` finished."""
    return await _answer(request, settings, board, params, "record", _recorded)


@router.post("/transcribing")
async def transcribing(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """Polled while the caller's recording is transcribed."""
    return await _answer(request, settings, board, params, "transcribing", _transcribing)


@router.post("/queue/wait")
async def queue_wait(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """`<Enqueue waitUrl>`: news for a waiting caller."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "queue_wait",
        connect.queue_wait,
        unknown=connect.nothing,
        hold=True,
        cache=False,
    )


@router.post("/queue/key")
async def queue_key(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """A key pressed while waiting."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "queue_key",
        connect.queue_key,
        unknown=connect.nothing,
        hold=True,
    )


@router.post("/queue/choice")
async def queue_choice(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """The caller's choice after the longest wait: callback or voicemail."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "queue_choice",
        connect.queue_choice,
        unknown=connect.nothing,
        hold=True,
    )


@router.post("/queue/done")
async def queue_done(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """`<Enqueue action>`: the caller left the queue."""
    return await _answer(request, settings, board, params, "queue_done", connect.queue_done)


@router.post("/dial/done")
async def dial_done(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """`<Dial action>`: the agent leg ended."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "dial_done",
        connect.dial_done,
        unknown=connect.unknown_dial,
    )


@router.post("/transfer/done")
async def transfer_done(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """A transfer outside the hotline ended."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "transfer_done",
        _transfer_done,
        unknown=connect.unknown_dial,
    )


@router.post("/status")
async def status(
    request: Request, params: SignedParams, settings: SettingsDep, board: SwitchboardDep
) -> Response:
    """The call's status callback (`CallStatus`, `CallDuration`)."""
    return await _answer(
        request,
        settings,
        board,
        params,
        "status",
        connect.call_ended,
        unknown=connect.nothing,
        hold=True,
    )
