"""Reading and writing CallState in Redis, one call at a time, in two round trips a webhook.

Each round trip is one Lua script (EVALSHA): the lock, the cached answer and the
state come back together, and the state, events, answer and unlock go together.
One command instead of a pipeline of seven is most of what a webhook spends on
Redis in our own process (packing and parsing), and Redis runs each atomically.
The scripts of concurrent webhooks share round trips (`batching.ScriptBatcher`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import redis.asyncio as aioredis
from pydantic import ValidationError

from ivr.calls.batching import Arg, LuaScript, ScriptBatcher
from ivr.calls.state import CallState
from ivr.events import STREAM_FIELD, CallEvent, EventLog
from ivr.keys import Keys
from ivr.security.redact import event_data_at_rest, needs_redaction, redact

_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
# KEYS: lock, reply (or ''), state.  ARGV: token, lock ms, take over ('1' or '0').
# -> {held (1, or 2 when taken over from another holder), cached answer, state}
_OPEN = LuaScript("""
local held = redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
if held == 0 and ARGV[3] == '1' then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  held = 2
end
local cached = false
if KEYS[2] ~= '' then cached = redis.call('get', KEYS[2]) end
return {held, cached, redis.call('get', KEYS[3])}
""")
# KEYS: state, stream, reply (or ''), lock.  ARGV: state, ttl, reply ttl, token (or ''),
# reply, then one JSON event each, appended under the stream field EventLog uses.
_CLOSE = LuaScript(f"""
redis.call('set', KEYS[1], ARGV[1], 'EX', ARGV[2])
for i = 6, #ARGV do redis.call('xadd', KEYS[2], '*', '{STREAM_FIELD.decode()}', ARGV[i]) end
if KEYS[3] ~= '' then redis.call('set', KEYS[3], ARGV[5], 'EX', ARGV[3]) end
if ARGV[4] ~= '' and redis.call('get', KEYS[4]) == ARGV[4] then redis.call('del', KEYS[4]) end
return 1
""")

REPLY_TTL_SECONDS = 600
LOCK_MS = 10_000
log = logging.getLogger(__name__)


@dataclass
class OpenedCall:
    """A webhook's view of its call: the lock (if held), a cached answer, the state."""

    call_sid: str
    token: str | None
    cached: bytes | None
    state: CallState | None
    # How many of `state.heard` were read back from Redis, where `close` (its only
    # writer) put them redacted; `heard` only grows, so these need no redacting again.
    heard_at_rest: int = 0


class CorruptCallState(Exception):
    """The stored state of a call cannot be read."""


class CallStore:
    """Per-call state with an expiry, a per-call lock and a cache of answers."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._scripts = ScriptBatcher(redis)

    async def aclose(self) -> None:
        """Close the connection the store's scripts travel on."""
        await self._scripts.aclose()

    async def load(self, call_sid: str) -> CallState | None:
        """The call's state, or None for an unknown or expired call."""
        return _parse(await self._redis.get(self._keys.call(call_sid)))

    async def open(
        self, call_sid: str, fingerprint: str, *, use_cache: bool, wait_seconds: float = 3.0
    ) -> OpenedCall:
        """Take the call's lock and read its cached answer and state, in one round trip.

        The lock serialises one call's webhooks across processes. When it cannot be had
        in time we take it over: a caller who hears something slightly out of order
        beats one who hears dead air. Its holder is stuck or dead (a server killed in
        the middle of a webhook); left to expire, the lock would make each of the
        call's next webhooks wait as long again, silence the caller hears at every step.
        """
        token = _lock_token()
        lock = self._keys.call_lock(call_sid)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        keys = [
            lock,
            self._keys.call_reply(call_sid, fingerprint) if use_cache else "",
            self._keys.call(call_sid),
        ]
        while True:
            take_over = loop.time() >= deadline
            reply = await self._scripts.run(_OPEN, keys, [token, LOCK_MS, int(take_over)])
            held, cached, raw = cast(tuple[int, bytes | None, bytes | None], reply)
            if held or take_over:
                break
            await asyncio.sleep(0.02)
        if held == 2:
            log.warning("call %s: its lock was held past %.1fs; taken over", call_sid, wait_seconds)
        reply = cached if use_cache and isinstance(cached, bytes) else None
        opened = OpenedCall(
            call_sid=call_sid, token=token if held else None, cached=reply, state=None
        )
        try:
            opened.state = _parse(raw)
        except CorruptCallState:
            await self.release(opened)
            raise
        if opened.state is not None:
            opened.heard_at_rest = len(opened.state.heard)
        return opened

    async def close(
        self,
        opened: OpenedCall,
        state: CallState,
        *,
        events: EventLog,
        new_events: Sequence[CallEvent],
        reply: bytes | None,
        fingerprint: str,
    ) -> None:
        """Save the state, append the events, keep the answer, release the lock: one round trip."""
        keys = [
            self._keys.call(state.call_sid),
            events.stream,
            self._keys.call_reply(state.call_sid, fingerprint) if reply is not None else "",
            self._keys.call_lock(opened.call_sid),
        ]
        # Nothing a caller said reaches Redis (its memory, the stream, the append-only
        # file) with a card number, ID or PIN in it: redacted here, before the write.
        # Those this webhook read from Redis were redacted when they were written.
        kept = opened.heard_at_rest if state is opened.state else 0
        for utterance in state.heard[kept:]:
            utterance.text = redact(utterance.text)
            utterance.reading.text = redact(utterance.reading.text)
        if state.unconfirmed is not None:
            state.unconfirmed.text = redact(state.unconfirmed.text)
            if state.unconfirmed.reading is not None:
                state.unconfirmed.reading.text = redact(state.unconfirmed.reading.text)
        args: list[Arg] = [
            state.model_dump_json(),
            self._ttl,
            REPLY_TTL_SECONDS,
            opened.token or "",
            reply or b"",
            *(_at_rest(event).model_dump_json() for event in new_events),
        ]
        await self._scripts.run(_CLOSE, keys, args)

    async def release(self, opened: OpenedCall) -> None:
        """Let go of the call's lock without saving (the webhook failed)."""
        if opened.token is not None:
            await self._redis.eval(  # type: ignore[misc]
                _UNLOCK, 1, self._keys.call_lock(opened.call_sid), opened.token
            )


def _at_rest(event: CallEvent) -> CallEvent:
    """The event as it may be written: its data redacted (unchanged events are not copied)."""
    if not needs_redaction(event.type, event.data):
        return event
    data = event_data_at_rest(event.type, event.data)
    return event if data == event.data else event.model_copy(update={"data": data})


_token_source: tuple[int, str, itertools.count[int]] = (0, "", itertools.count())


def _lock_token() -> str:
    """A token unique to this lock-taking: the process's random prefix and a counter.

    Only the holder's token may release a lock. A counter spares each webhook a
    call for random bytes; the prefix is drawn again in a forked child.
    """
    global _token_source
    pid, prefix, counter = _token_source
    if pid != os.getpid():
        pid, prefix, counter = os.getpid(), secrets.token_hex(6), itertools.count()
        _token_source = (pid, prefix, counter)
    return f"{prefix}{next(counter):x}"


def _parse(raw: bytes | str | None) -> CallState | None:
    if raw is None:
        return None
    try:
        return CallState.model_validate_json(raw)
    except ValidationError as exc:
        raise CorruptCallState(str(exc)) from exc
