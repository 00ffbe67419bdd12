"""Reading and writing CallState in Redis, one call at a time."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import redis.asyncio as aioredis

from ivr.calls.state import CallState
from ivr.keys import Keys

_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

REPLY_TTL_SECONDS = 600


class CallStore:
    """Per-call state with an expiry, a per-call lock and a cache of answers."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys, ttl_seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = ttl_seconds
        self._unlock = redis.register_script(_UNLOCK)

    async def load(self, call_sid: str) -> CallState | None:
        """The call's state, or None for an unknown or expired call."""
        raw = await self._redis.get(self._keys.call(call_sid))
        if raw is None:
            return None
        return CallState.model_validate_json(raw)

    async def save(self, state: CallState) -> None:
        """Store the call's state, renewing its expiry."""
        await self._redis.set(
            self._keys.call(state.call_sid), state.model_dump_json(), ex=self._ttl
        )

    async def forget(self, call_sid: str) -> None:
        """Drop a finished call's state."""
        await self._redis.delete(self._keys.call(call_sid))

    @contextlib.asynccontextmanager
    async def locked(self, call_sid: str, *, wait_seconds: float = 3.0) -> AsyncIterator[None]:
        """Serialise the webhooks of one call across processes.

        When the lock cannot be had in time we go on without it: a caller who
        hears something slightly out of order beats one who hears dead air.
        """
        key = self._keys.call_lock(call_sid)
        token = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        held = False
        while True:
            held = bool(await self._redis.set(key, token, nx=True, px=10_000))
            if held or loop.time() >= deadline:
                break
            await asyncio.sleep(0.02)
        try:
            yield
        finally:
            if held:
                await self._unlock(keys=[key], args=[token])

    async def cached_reply(self, call_sid: str, fingerprint: str) -> str | None:
        """The answer already given to this exact webhook (a carrier retry)."""
        raw = await self._redis.get(self._keys.call_reply(call_sid, fingerprint))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def remember_reply(self, call_sid: str, fingerprint: str, twiml: str) -> None:
        """Keep the answer to this webhook for a while, for carrier retries."""
        await self._redis.set(
            self._keys.call_reply(call_sid, fingerprint), twiml, ex=REPLY_TTL_SECONDS
        )
