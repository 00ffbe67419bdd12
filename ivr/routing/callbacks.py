"""Callbacks: a promise to call a customer back, assigned to an agent, due within a week.

One pending callback per caller number. A second call of a number that already has one
(booked, not completed, not past its due time plus ``callbacks.repeat_grace_hours`` of
the policy, 2 by default) joins it: the same id, due time and agent, no second agent's
load raised. The ``promise_callback`` Lua script decides and books in one step, so two
calls of one number on two server processes end with one callback. Completing the
callback (``release_callback``) frees the number. Withheld numbers are never joined.

Redis, under ``keys.routing(...)``: ``callback:{id}`` the callback's JSON (kept a month
past its due time), ``callbacks`` the due list (sorted by due time), and
``callback_of:{number}`` the id of the number's pending callback, expiring with the grace.
"""

from __future__ import annotations

import hashlib
import math

import redis.asyncio as aioredis

from ivr.errors import InvalidInputError
from ivr.events import CallEvent, EventLog, event_id
from ivr.keys import Keys
from ivr.routing.index import AgentIndex
from ivr.routing.models import Callback, RoutingRequest
from ivr.routing.policy import Policy
from ivr.routing.scoring import requirement

KEEP_SECONDS = 30 * 86400
# How Twilio reports a withheld caller ID: words, or the words spelled on a keypad
# (ANONYMOUS, RESTRICTED, BLOCKED, UNKNOWN, UNAVAILABLE, PRIVATE).
WITHHELD_WORDS = frozenset(
    {"anonymous", "restricted", "blocked", "unknown", "unavailable", "private", "withheld"}
)
WITHHELD_DIGITS = frozenset(
    {"266696687", "7378742833", "2562533", "8656696", "86282452253", "7748283"}
)


def callback_id(call_sid: str) -> str:
    """The callback id of a call: one promise per call, whatever retries the carrier makes."""
    return "cb_" + hashlib.sha1(call_sid.encode()).hexdigest()[:16]


def callback_number(caller: str) -> str | None:
    """The number a caller's callbacks are counted by; None when the caller ID is withheld."""
    number = "".join(caller.split())
    user = number.removeprefix("sip:").split("@", 1)[0].lower()
    if user in WITHHELD_WORDS or user.removeprefix("+") in WITHHELD_DIGITS:
        return None
    if not any(ch.isalnum() for ch in user):
        return None  # "", "+", "-": nothing to recognise the caller by
    return number


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

    When the caller's number has a callback pending, return that one instead, marked
    `joined`, and emit "callback.joined". The caller leaves any queue. The ticket store
    gets the callback from the "callback.requested" event; Redis keeps it too.
    """
    due = due_time(policy, now=now, due_at=due_at)
    ident = callback_id(request.call_sid)
    need = requirement(
        policy,
        topic=request.topic,
        language=request.language,
        emotion=request.emotion,
        intensity=request.emotion_intensity,
        waited=0.0,
    )
    draft = Callback(
        id=ident,
        call_sid=request.call_sid,
        number=request.caller,
        language=request.language,
        topic=request.topic,
        emotion=request.emotion,
        due_at=due,
        created_at=now,
    )
    grace = policy.callbacks.repeat_grace_hours * 3600
    outcome, doc = await index.promise_callback(
        roster=f"{need.skill}:{need.language}",
        callback_id=ident,
        number=callback_number(request.caller),
        # the script appends the agent it picks: `,"agent_id":...}`
        head=draft.model_dump_json(exclude={"agent_id", "joined"})[:-1],
        due_at=due,
        # kept a month past its due time; the ticket store holds it for good
        keep_seconds=int(due - now) + KEEP_SECONDS,
        number_seconds=max(1, math.ceil(due + grace - now)),
        grace_seconds=grace,
    )
    callback = Callback.model_validate_json(doc)
    if outcome == "own":
        return callback
    await index.abandon(request.call_sid, final="callback")
    if outcome == "joined":
        callback = callback.model_copy(update={"joined": True})
    if events is not None:
        await events.append([_event(request.call_sid, callback, now=now)])
    return callback


def _event(call_sid: str, callback: Callback, *, now: float) -> CallEvent:
    """The request's event: "callback.requested" when new, "callback.joined" when joined."""
    data = callback.model_dump(mode="json", exclude={"call_sid", "created_at", "joined"})
    data["callback_id"] = data.pop("id")
    if callback.joined:
        data["booked_call_sid"] = callback.call_sid
    return CallEvent(
        id=event_id(call_sid, "callback"),
        call_sid=call_sid,
        at=now,
        type="callback.joined" if callback.joined else "callback.requested",
        data=data,
    )


async def release_callback(
    redis: aioredis.Redis, *, keys: Keys, callback_id: str, number: str | None
) -> bool:
    """A callback was completed: off the due list, one fewer on its agent, its number free.

    The agent's callback load drops once however often the completion is reported.
    True when the number's record named this callback and was cleared.
    """
    index = AgentIndex(redis=redis, keys=keys)
    cleared, _ = await index.release_callback(callback_id, callback_number(number or ""))
    return cleared
