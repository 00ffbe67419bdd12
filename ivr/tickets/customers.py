"""The Redis copy of each caller's history: the flow and routing read it and never wait for SQL."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import RedisError

from ivr.keys import Keys
from ivr.tickets.views import CustomerSummary

REPEAT_WINDOW_SECONDS = 24 * 3600.0
SUMMARY_TTL_SECONDS = 90 * 24 * 3600


def with_recency(
    summary: CustomerSummary, *, now: float, current_call_sid: str | None = None
) -> CustomerSummary:
    """`summary` with `repeat_caller` and `calls_last_24h` computed for `now`."""
    recent = [
        sid
        for sid, at in summary.recent_calls
        if sid != current_call_sid and now - REPEAT_WINDOW_SECONDS <= at <= now
    ]
    return summary.model_copy(update={"calls_last_24h": len(recent), "repeat_caller": bool(recent)})


async def write_summaries(
    redis: aioredis.Redis, *, keys: Keys, summaries: dict[str, CustomerSummary]
) -> None:
    """Replace the Redis summaries of these callers in one round trip."""
    if not summaries:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for caller, summary in summaries.items():
            pipe.set(keys.customer(caller), summary.model_dump_json(), ex=SUMMARY_TTL_SECONDS)
        await pipe.execute()


async def customer_summary(
    redis: aioredis.Redis,
    *,
    keys: Keys,
    caller: str,
    now: float | None = None,
    current_call_sid: str | None = None,
) -> CustomerSummary:
    """What we know of `caller` (a first-time caller gets an empty summary); never raises."""
    now = time.time() if now is None else now
    try:
        raw = await redis.get(keys.customer(caller))
        if raw is None:
            return CustomerSummary(caller=caller)
        summary = CustomerSummary.model_validate_json(raw)
    except (RedisError, ValidationError, OSError):
        # A caller must never wait on history: without it they are treated as new.
        return CustomerSummary(caller=caller)
    return with_recency(summary, now=now, current_call_sid=current_call_sid)
