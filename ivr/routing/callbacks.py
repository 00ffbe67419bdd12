"""Callbacks: a promise to call a customer back, assigned to an agent, due within a week."""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis

from ivr.errors import InvalidInputError
from ivr.keys import Keys
from ivr.routing.index import AgentIndex
from ivr.routing.models import Callback, RoutingRequest
from ivr.routing.policy import Policy
from ivr.routing.scoring import requirement
from ivr.tickets.events import CallEvent, event_id
from ivr.tickets.stream import EventLog

KEEP_SECONDS = 30 * 86400


def callback_id(call_sid: str) -> str:
    """The callback id of a call: one promise per call, whatever retries the carrier makes."""
    return "cb_" + hashlib.sha1(call_sid.encode()).hexdigest()[:16]


def due_time(policy: Policy, *, now: float, due_at: float | None) -> float:
    """When the callback is due; InvalidInputError beyond the bank's limit or in the past."""
    limit = now + policy.callbacks.due_days * 86400
    due = due_at if due_at is not None else now + policy.callbacks.default_due_hours * 3600
    if due > limit:
        raise InvalidInputError(
            f"a callback is due within {policy.callbacks.due_days:g} days", field="due_at"
        )
    if due < now - 60:
        raise InvalidInputError("a callback cannot be due in the past", field="due_at")
    return due


async def promise_callback(
    request: RoutingRequest,
    *,
    due_at: float | None,
    redis: aioredis.Redis,
    keys: Keys,
    index: AgentIndex,
    policy: Policy,
    events: EventLog | None,
    now: float,
) -> Callback:
    """Save a callback for the caller, assigned by load weighed by ability; emit the event.

    The caller leaves any queue. The ticket store gets the callback from the
    "callback.requested" event; Redis keeps it too (``routing:callbacks`` by due time).
    """
    due = due_time(policy, now=now, due_at=due_at)
    ident = callback_id(request.call_sid)
    key = keys.routing("callback", ident)
    existing = await redis.get(key)
    if existing:
        return Callback.model_validate_json(existing)
    need = requirement(
        policy,
        topic=request.topic,
        language=request.language,
        emotion=request.emotion,
        intensity=request.emotion_intensity,
        waited=0.0,
    )
    agent_id = await index.pick_callback_agent(f"{need.skill}:{need.language}")
    callback = Callback(
        id=ident,
        call_sid=request.call_sid,
        number=request.caller,
        language=request.language,
        topic=request.topic,
        emotion=request.emotion,
        due_at=due,
        agent_id=agent_id,
        created_at=now,
    )
    async with redis.pipeline(transaction=True) as pipe:
        # kept a month past its due time; the ticket store holds it for good
        keep = int(due - now) + KEEP_SECONDS
        pipe.set(key, callback.model_dump_json(), nx=True, ex=keep)
        pipe.zadd(keys.routing("callbacks"), {ident: due})
        await pipe.execute()
    await index.abandon(request.call_sid, final="callback")
    if events is not None:
        data = callback.model_dump(mode="json", exclude={"call_sid", "created_at"})
        data["callback_id"] = data.pop("id")
        event = CallEvent(
            id=event_id(request.call_sid, "callback"),
            call_sid=request.call_sid,
            at=now,
            type="callback.requested",
            data=data,
        )
        await events.append([event])
    return callback
