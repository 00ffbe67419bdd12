"""CallStore against the real Redis: a call's lock, and what happens when its holder is gone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from ivr.calls.state import CallState, Utterance
from ivr.calls.store import LOCK_MS, CallStore
from ivr.events import EventLog
from ivr.ids import Emotion, Topic
from ivr.keys import Keys
from ivr.nlu.models import Reading

SID = "CA" + "7" * 32


@pytest.fixture
async def store(redis: aioredis.Redis, keys: Keys) -> AsyncIterator[CallStore]:
    calls = CallStore(redis=redis, keys=keys, ttl_seconds=60)
    yield calls
    await calls.aclose()


async def test_a_free_lock_is_taken_and_let_go(
    store: CallStore, redis: aioredis.Redis, keys: Keys
) -> None:
    opened = await store.open(SID, "step-1", use_cache=True)
    assert opened.token is not None and opened.state is None
    assert await redis.get(keys.call_lock(SID)) == opened.token.encode()
    events = EventLog(redis=redis, keys=keys)
    state = CallState(call_sid=SID)
    await store.close(
        opened, state, events=events, new_events=[], reply=b"<Response/>", fingerprint="step-1"
    )
    assert not await redis.exists(keys.call_lock(SID))


async def test_a_lock_left_by_a_dead_process_is_taken_over_and_then_let_go(
    store: CallStore, redis: aioredis.Redis, keys: Keys
) -> None:
    # A server killed in the middle of a webhook: its lock stays until it expires.
    await redis.set(keys.call_lock(SID), "dead-process-token", px=LOCK_MS)
    retry = await store.open(SID, "step-1", use_cache=True, wait_seconds=0.1)
    # The carrier's retry waited its share, then took the lock as its own...
    assert retry.token is not None
    assert await redis.get(keys.call_lock(SID)) == retry.token.encode()
    events = EventLog(redis=redis, keys=keys)
    state = CallState(call_sid=SID)
    await store.close(
        retry, state, events=events, new_events=[], reply=b"<Response/>", fingerprint="step-1"
    )
    # ...and let it go, so the call's next webhook finds it free instead of waiting again.
    assert not await redis.exists(keys.call_lock(SID))
    following = await store.open(SID, "step-2", use_cache=True, wait_seconds=0.1)
    assert following.token is not None and following.state == state
    await store.release(following)


def _utterance(number: int, text: str) -> Utterance:
    reading = Reading(
        text=text,
        language="en-US",
        topic=Topic.LOST_STOLEN_CARD,
        topic_confidence=0.9,
        emotion=Emotion.NEUTRAL,
        emotion_intensity=0.0,
    )
    return Utterance(number=number, text=text, source="menu", reading=reading)


async def test_words_heard_at_any_webhook_of_a_call_are_kept_redacted(
    store: CallStore, redis: aioredis.Redis, keys: Keys
) -> None:
    events = EventLog(redis=redis, keys=keys)
    first = await store.open(SID, "step-1", use_cache=True)
    state = CallState(call_sid=SID)  # a new call: nothing of it was read from Redis
    state.heard.append(_utterance(1, "my card is 4111 1111 1111 1111"))
    await store.close(first, state, events=events, new_events=[], reply=None, fingerprint="s1")
    second = await store.open(SID, "step-2", use_cache=True)
    assert second.state is not None and second.heard_at_rest == 1
    second.state.heard.append(_utterance(2, "no wait, it is 5500 0000 0000 0004"))
    await store.close(
        second, second.state, events=events, new_events=[], reply=None, fingerprint="s2"
    )
    at_rest = await redis.get(keys.call(SID))
    assert at_rest is not None
    assert b"4111" not in at_rest and b"5500" not in at_rest
    assert at_rest.count(b"[card redacted]") == 4  # each utterance's text and its reading's
