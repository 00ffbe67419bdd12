"""The write side of the event log: webhooks append call events to a Redis stream.

A consumer group (ivr.tickets.persister) moves them into the ticket store and
acknowledges each only after its transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from ivr.events.model import CallEvent
from ivr.keys import Keys

STREAM_FIELD = b"event"


class EventLog:
    """Appends call events to the stream; never waits for the database."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self.stream = keys.events_stream()

    async def append(self, events: Sequence[CallEvent]) -> None:
        """Add `events` to the stream in one round trip."""
        if not events:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            self.stage(pipe, events)
            await pipe.execute()

    def stage(self, pipe: Pipeline, events: Sequence[CallEvent]) -> None:
        """Queue `events` on a pipeline the caller executes (with its other writes)."""
        for event in events:
            pipe.xadd(self.stream, {STREAM_FIELD: event.model_dump_json()})
