"""The /console page, its live channel (with the screen pop), status buttons and my work."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import redis.asyncio as aioredis
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel

from ivr.api.deps import BankZoneDep, KeysDep, RedisDep, RouterDep, SettingsDep, TicketStoreDep
from ivr.bank_time import day_start
from ivr.errors import NotFoundError
from ivr.events import STREAM_FIELD, CallEvent
from ivr.ids import AgentState, Language
from ivr.keys import Keys
from ivr.tickets.customers import customer_summary
from ivr.tickets.models import ticket_id
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketFilter, TicketView
from ivr.web.console.coaching import coaching
from ivr.web.console.pop import Pop, history_of, screen_pop
from ivr.web.console.softphone import access_token, softphone_configured
from ivr.web.guard import AgentPage, AgentWrite
from ivr.web.live import CallsOf, Frames, event_frames, frame, plain, sse_response
from ivr.web.templating import render

router = APIRouter(include_in_schema=False)

ONLINE_SECONDS = 15  # the console counts as open this long after its channel last read
LOOK_BACK = 500  # stream entries searched for a call's earlier events


class StatusChange(BaseModel):
    """The agent's choice on the status buttons."""

    status: Literal["available", "away", "offline"]


async def _earlier_events(
    redis: aioredis.Redis, keys: Keys, entry_id: str, call_sid: str
) -> list[CallEvent]:
    rows = await redis.xrevrange(keys.events_stream(), max=entry_id, count=LOOK_BACK)
    found = []
    for _, fields in reversed(rows):
        raw = fields.get(STREAM_FIELD)
        if raw is None:
            continue
        event = CallEvent.model_validate_json(raw)
        if event.call_sid == call_sid:
            found.append(event)
    return found


async def build_pop(
    request: Request,
    *,
    redis: aioredis.Redis,
    keys: Keys,
    store: TicketStore,
    entry_id: str,
    dialed: CallEvent,
) -> Pop | None:
    """The pop for the call `dialed` names, or None when its state has expired."""
    state = await request.app.state.switchboard.calls.load(dialed.call_sid)
    if state is None:
        return None
    ident = ticket_id(state.call_sid)
    history = await store.customer_history(state.caller) if state.caller else None
    summary = (
        await customer_summary(
            redis, keys=keys, caller=state.caller, current_call_sid=state.call_sid
        )
        if state.caller
        else None
    )
    callbacks = [c for c in await store.callbacks() if c.number == state.caller]
    return screen_pop(
        state,
        ticket_id=ident,
        routed_at=dialed.at,
        events=await _earlier_events(redis, keys, entry_id, state.call_sid),
        history=history_of(history, summary, callbacks, this_ticket=ident),
    )


@router.get("/console")
async def console(
    request: Request, session: AgentPage, settings: SettingsDep, routing: RouterDep
) -> HTMLResponse:
    """The agent's desk."""
    return render(
        request,
        "console.html",
        {
            "agent_id": session.agent_id,
            "wrap_up_seconds": int(routing.policy.wrap_up_seconds),
            "callback_days": routing.policy.callbacks.due_days,
            "softphone": softphone_configured(settings),
            "coaching": {lang.value: coaching(lang).model_dump(mode="json") for lang in Language},
        },
    )


@router.get("/console/live")
async def console_live(
    request: Request,
    session: AgentPage,
    redis: RedisDep,
    keys: KeysDep,
    store: TicketStoreDep,
    routing: RouterDep,
) -> StreamingResponse:
    """My calls' events as they happen (SSE), a `pop` the moment one is put through to me."""
    agent_id = session.agent_id or ""
    mine = CallsOf(agent_id)

    async def shape(entry_id: str, event: CallEvent) -> Frames:
        frames = await plain(entry_id, event)
        if event.type == "agent.dialed" and event.data.get("agent_id") == agent_id:
            pop = await build_pop(
                request, redis=redis, keys=keys, store=store, entry_id=entry_id, dialed=event
            )
            if pop is not None:
                frames.append(frame("pop", pop.model_dump(mode="json")))
        return frames

    async def presence() -> None:
        await redis.set(keys.console_online(agent_id), "1", ex=ONLINE_SECONDS)

    async def frames() -> AsyncIterator[str]:
        try:
            view = await routing.get_agent(agent_id)
            status, since = view.status.state.value, view.status.since
        except NotFoundError:  # a token for an agent not (or no longer) on the roster
            status, since = AgentState.OFFLINE.value, None
        talking = await redis.get(keys.console_call(agent_id))
        yield frame(
            "state",
            {
                "status": status,
                "since": since,
                "talking": json.loads(talking)["call_sid"] if talking else None,
            },
        )
        async for text in event_frames(
            request, redis=redis, keys=keys, visible=mine, shape=shape, each_round=presence
        ):
            yield text

    return sse_response(frames())


@router.post("/console/status")
async def set_status(
    body: StatusChange, session: AgentWrite, routing: RouterDep
) -> dict[str, object]:
    """Available, away or offline."""
    view = await routing.set_status(session.agent_id or "", AgentState(body.status))
    return {"status": view.status.state.value, "since": view.status.since}


@router.get("/console/status")
async def get_status(session: AgentPage, routing: RouterDep) -> dict[str, object]:
    """My status now (wrap-up ends by itself)."""
    view = await routing.get_agent(session.agent_id or "")
    return {"status": view.status.state.value, "since": view.status.since}


def _story(t: TicketView) -> dict[str, object]:
    return {
        "ticket_id": t.id,
        "created_at": t.created_at,
        "caller": t.caller,
        "topic": t.topic,
        "emotion": t.emotion,
        "transcript": t.transcript[:500],
        "notes": t.notes,
        "status": t.status,
    }


@router.get("/console/work")
async def my_work(
    session: AgentPage, store: TicketStoreDep, zone: BankZoneDep
) -> dict[str, object]:
    """My callbacks due (overdue flagged) with each ticket's story, and my tickets today."""
    agent_id = session.agent_id or ""
    now = time.time()
    callbacks = []
    for c in await store.callbacks(agent_id=agent_id, now=now):
        story = _story(await store.get(c.ticket_id, with_events=False))
        callbacks.append({**c.model_dump(mode="json"), "story": story})
    # Today is the bank's day: an agent's list must not empty at UTC midnight mid-shift.
    midnight = day_start(now, zone)
    today = await store.list(TicketFilter(agent_id=agent_id, since=midnight, limit=200))
    return {"callbacks": callbacks, "tickets": [_story(t) for t in reversed(today)]}


@router.post("/console/callbacks/{callback_id}/done")
async def callback_done(
    callback_id: Annotated[str, Path(max_length=96)], session: AgentWrite, store: TicketStoreDep
) -> dict[str, object]:
    """Mark one of my callbacks done."""
    callback = await store.get_callback(callback_id)
    if callback.agent_id != session.agent_id:
        raise HTTPException(404, detail="no callback of yours with that id")
    done = await store.complete_callback(
        callback_id, actor=f"agent:{session.agent_id}", audit=False
    )
    return done.model_dump(mode="json")


@router.get("/console/softphone-token")
async def softphone_token(session: AgentPage, settings: SettingsDep) -> dict[str, object]:
    """An access token for the Twilio Voice SDK, as this agent's client identity."""
    if not softphone_configured(settings):
        return {"softphone": False}
    return {
        "softphone": True,
        "token": access_token(settings, identity=session.agent_id or ""),
        "identity": session.agent_id,
    }
