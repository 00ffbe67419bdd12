"""The service's clock: the machine's time plus an offset that only the simulator may move.

`ivr call` skips the pauses, queue waits and talk time it simulates. Were the
service to keep real time meanwhile, an agent's 30-second wrap-up would hold
the next simulated call in the queue for 30 real seconds. So a service that
runs for the simulator (no public URL, or IVR_SIMULATED_CLOCK=1) lets the
simulator move its clock on by the time it skipped (`POST /dev/clock`, signed
with the auth token); the flow's hours, wrap-ups, waits and callbacks then
follow that clock. A service with a public URL (a real carrier) never moves:
its offset stays 0 and the endpoint answers 404.

The offset lives in Redis (`Keys.clock_offset`), so every worker process reads
the same time; each refreshes it once a second with routing's tick.
"""

from __future__ import annotations

import datetime as dt
import time

import redis.asyncio as aioredis

from ivr.keys import Keys


class ServiceClock:
    """Epoch seconds as the service counts them."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys, movable: bool) -> None:
        self._redis = redis
        self._keys = keys
        self.movable = movable
        self.offset = 0.0
        self._moves = 0  # moves made here; a refresh that raced one keeps the move

    def now(self) -> float:
        """Epoch seconds now, on the service's clock."""
        return time.time() + self.offset

    def utc(self) -> dt.datetime:
        """Now as an aware UTC datetime (what the flow's hours read)."""
        return dt.datetime.fromtimestamp(self.now(), dt.UTC)

    async def refresh(self) -> None:
        """Read the shared offset (another process may have moved it)."""
        if not self.movable:
            return
        moves = self._moves
        raw = await self._redis.get(self._keys.clock_offset())
        if moves == self._moves:  # else a move landed while we read: it is newer
            self.offset = float(raw) if raw is not None else 0.0

    async def advance(self, seconds: float) -> float:
        """Move the clock on by `seconds` (never back); the new offset."""
        if not self.movable:
            raise PermissionError("this service keeps real time (it has a public URL)")
        if seconds > 0:
            self._moves += 1
            self.offset = float(await self._redis.incrbyfloat(self._keys.clock_offset(), seconds))
            self._moves += 1  # a refresh that overlapped the write in any part is dropped
        return self.offset

    async def set_to(self, when: dt.datetime) -> None:
        """Set the clock to `when` (tests set the flow's clock with it)."""
        if not self.movable:
            raise PermissionError("this service keeps real time (it has a public URL)")
        self._moves += 1
        self.offset = when.timestamp() - time.time()
        await self._redis.set(self._keys.clock_offset(), repr(self.offset))
        self._moves += 1
