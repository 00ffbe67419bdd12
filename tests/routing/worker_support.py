"""What every routing worker process (a server stand-in for the race tests) starts with."""

from __future__ import annotations

import redis.asyncio as aioredis

from ivr.keys import Keys
from ivr.routing.policy import parse_policy
from ivr.routing.router import Router


async def router_at_go(url: str, prefix: str) -> tuple[aioredis.Redis, Keys, Router]:
    """A Router of this process's own, returned once the test pushes the go signal.

    The pool waits for a connection instead of failing: the workers fire dozens of
    requests at once.
    """
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=64, timeout=60)
    client: aioredis.Redis = aioredis.Redis(connection_pool=pool)
    keys = Keys(prefix=prefix)
    router = Router(redis=client, keys=keys, policy=parse_policy({}, source="test"))
    await router.start()
    await client.blpop([keys.routing("test", "go")], timeout=30)
    return client, keys, router
