"""The caller's history as the call controller sees it: read from Redis, never the database."""

from __future__ import annotations

import redis.asyncio as aioredis

from ivr.controller.ports import CallerHistory
from ivr.keys import Keys
from ivr.tickets.customers import customer_summary


class RedisCallerHistory:
    """Reads the summary the ticket persister keeps per caller."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def history(self, caller: str) -> CallerHistory:
        """Repeat caller within 24 h, an open complaint, the last agent."""
        if not caller:
            return CallerHistory()
        summary = await customer_summary(self._redis, keys=self._keys, caller=caller)
        return CallerHistory(
            repeat_caller_24h=summary.repeat_caller,
            open_complaint=summary.open_complaint,
            last_agent_id=summary.last_agent_id,
        )
