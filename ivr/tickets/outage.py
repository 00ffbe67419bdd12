"""Telling a database outage from a bad event, and saying so where /healthz looks.

A write error is an outage, not a bad event: the events wait in the stream
(pending, retried with backoff) until the store takes writes again. Only an
event the database refuses for its own content (a value out of range, a
constraint it breaks) or that our projection cannot read is parked.
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from sqlalchemy import exc as sa_exc

from ivr.keys import Keys

# How long a report lasts unless renewed: a persister that died while the store
# was down must not leave /healthz red for ever.
REPORT_SECONDS = 30
# Refusals that are about the event's content: the same event fails every time.
_EVENT_FAULTS = (sa_exc.DataError, sa_exc.IntegrityError)


def is_outage(exc: BaseException) -> bool:
    """True when `exc` says the store cannot take writes now (retry later), not the event."""
    if isinstance(exc, _EVENT_FAULTS):
        return False
    # Disk I/O errors, a read-only file, a lock held too long, a dropped connection,
    # a pool timeout: all say nothing about the event, and all pass.
    return isinstance(
        exc,
        sa_exc.DBAPIError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError
        | sa_exc.InterfaceError
        | OSError
        | ConnectionError
        | asyncio.TimeoutError,
    )


async def report_unhealthy(redis: aioredis.Redis, keys: Keys, reason: str) -> None:
    """Tell /healthz (every web process) that the ticket store refuses writes, and why."""
    await redis.set(keys.tickets_health(), reason[:300], ex=REPORT_SECONDS)


async def report_healthy(redis: aioredis.Redis, keys: Keys) -> None:
    """Withdraw the report: writes commit again."""
    await redis.delete(keys.tickets_health())


async def store_problem(redis: aioredis.Redis, keys: Keys) -> str | None:
    """What a persister last reported about the store's writes, None when all is well."""
    value = await redis.get(keys.tickets_health())
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
