"""Ringing the console without Twilio: the simulator asks, the agent's console answers.

Without softphone settings (a laptop, CI) `ivr call` dialling `<Client>` asks
the service over HTTP, signed like any webhook, whether that agent's console
is open (`POST /sim/console/ring`). If it is, the simulator keeps asking until
the agent answers or declines, or its `<Dial timeout>` passes (no-answer); once
answered it waits on `POST /sim/console/talk` until the agent ends the call.
The console's buttons push the agent's choice onto a Redis list the
simulator's request waits on, so any server process may take either side.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable
from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse

from ivr.api.deps import KeysDep, RedisDep, SettingsDep
from ivr.config import Settings
from ivr.keys import Keys
from ivr.telephony.signature import InvalidSignature, carrier_urls, verified_params
from ivr.web.console.softphone import softphone_configured
from ivr.web.guard import AgentWrite

router = APIRouter(include_in_schema=False)

WAIT_SECONDS = 8  # one simulator request waits at most this long (below its HTTP timeout)
ACTION_TTL = 3600
CALL_SID = Annotated[str, Path(pattern=r"^CA[0-9a-fA-F]{32}$")]
Action = Literal["answer", "decline", "end"]


async def _signed_params(request: Request, settings: Settings) -> dict[str, str]:
    url, _ = carrier_urls(request.scope, settings.public_url)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        return verified_params(
            url, form, request.headers.get("x-twilio-signature", ""), settings.ensure_auth_token()
        )
    except InvalidSignature as exc:
        raise HTTPException(403, detail=str(exc)) from exc


async def _next_action(redis: RedisDep, keys: Keys, call_sid: str, seconds: float) -> str | None:
    waiting = redis.blpop([keys.console_ring(call_sid)], timeout=max(1, int(seconds)))
    popped = await cast(Awaitable[list[Any] | None], waiting)
    if popped is None:
        return None
    value = popped[1]
    return value.decode() if isinstance(value, bytes) else str(value)


@router.post("/sim/console/ring")
async def ring(
    request: Request, settings: SettingsDep, redis: RedisDep, keys: KeysDep
) -> JSONResponse:
    """The simulator rings an agent's console: answered, busy, still ringing, or no console."""
    params = await _signed_params(request, settings)
    agent_id, call_sid = params.get("Identity", ""), params.get("CallSid", "")
    if softphone_configured(settings) or not await redis.exists(keys.console_online(agent_id)):
        return JSONResponse({"console": False})
    wait = min(float(params.get("Wait") or WAIT_SECONDS), WAIT_SECONDS)
    while True:
        action = await _next_action(redis, keys, call_sid, wait)
        if action in ("answer", "decline", None):
            break  # an "end" left over from a ring that was never answered is dropped
    outcome = {"answer": "answered", "decline": "busy"}.get(action or "", "ringing")
    if outcome == "answered":
        await redis.set(
            keys.console_call(agent_id),
            json.dumps({"call_sid": call_sid, "state": "talking"}),
            ex=ACTION_TTL,
        )
    return JSONResponse({"console": True, "outcome": outcome})


@router.post("/sim/console/talk")
async def talk(
    request: Request, settings: SettingsDep, redis: RedisDep, keys: KeysDep
) -> JSONResponse:
    """The simulator holds the line until the agent ends the call on the console."""
    params = await _signed_params(request, settings)
    call_sid = params.get("CallSid", "")
    action = await _next_action(redis, keys, call_sid, WAIT_SECONDS)
    ended = action == "end"
    if ended:
        await redis.delete(keys.console_call(params.get("Identity", "")))
    return JSONResponse({"ended": ended})


@router.post("/console/calls/{call_sid}/phone/{action}")
async def act(
    call_sid: CALL_SID,
    action: Action,
    session: AgentWrite,
    request: Request,
    redis: RedisDep,
    keys: KeysDep,
) -> dict[str, str]:
    """The agent answers, declines or ends the call ringing on their console."""
    state = await request.app.state.switchboard.calls.load(call_sid)
    if state is None or state.agent_id != session.agent_id:
        raise HTTPException(404, detail="no call of yours with that id")
    key = keys.console_ring(call_sid)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.rpush(key, action)
        pipe.expire(key, ACTION_TTL)
        await pipe.execute()
    return {"call_sid": call_sid, "action": action}
