"""Bringing parked events back: `ivr tickets replay-dead`.

The persister parks an event only when the store refuses it for its content
(or it cannot be read at all). Once the cause is fixed (a migration, a new
release), the parked events go back on the stream and the persister stores
them like any other; event ids keep that idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis
from pydantic import ValidationError

from ivr.events import STREAM_FIELD, CallEvent
from ivr.keys import Keys

_PAGE = 500


@dataclass
class Replayed:
    """What a replay did: events put back on the stream, and entries left parked."""

    replayed: int = 0
    kept: int = 0


async def replay_parked(redis: aioredis.Redis, *, keys: Keys) -> Replayed:
    """Move every parked entry that holds a readable event back onto the events stream."""
    dead, stream = keys.events_dead_letter(), keys.events_stream()
    outcome = Replayed()
    start = "-"
    while True:
        page = await redis.xrange(dead, min=start, count=_PAGE)
        if not page:
            return outcome
        for entry_id, fields in page:
            raw = fields.get(b"raw", b"")
            try:
                CallEvent.model_validate_json(raw)
            except ValidationError:
                outcome.kept += 1  # still unreadable: it stays for a person to look at
                continue
            # Both or neither: an event is never in both streams, nor in none.
            async with redis.pipeline(transaction=True) as pipe:
                pipe.xadd(stream, {STREAM_FIELD: raw})
                pipe.xdel(dead, entry_id)
                await pipe.execute()
            outcome.replayed += 1
        last = page[-1][0].decode() if isinstance(page[-1][0], bytes) else str(page[-1][0])
        start = f"({last}"
