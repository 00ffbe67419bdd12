"""A server process for the concurrency test: routes calls with its own Router.

Usage: python routing_worker.py REDIS_URL PREFIX FIRST COUNT
Waits for the go signal (a token pushed on a Redis list), routes COUNT calls at
once, prints one JSON line per decision.
"""

from __future__ import annotations

import asyncio
import json
import sys

import redis.asyncio as aioredis

from ivr.keys import Keys
from ivr.routing.models import RoutingRequest
from ivr.routing.policy import parse_policy
from ivr.routing.router import Router


async def main(url: str, prefix: str, first: int, count: int) -> None:
    """Route calls first..first+count-1 concurrently once the test says go."""
    client: aioredis.Redis = aioredis.Redis.from_url(url, max_connections=64)
    keys = Keys(prefix=prefix)
    router = Router(redis=client, keys=keys, policy=parse_policy({}, source="test"))
    await router.start()
    await client.blpop([keys.routing("test", "go")], timeout=30)
    requests = [
        RoutingRequest(
            call_sid=f"CA{i:04d}",
            caller=f"+1555000{i:04d}",
            language="en-US",  # type: ignore[arg-type]
            topic="card_services",  # type: ignore[arg-type]
            entered_at=1_800_000_000.0 + i / 1000,
        )
        for i in range(first, first + count)
    ]
    decisions = await asyncio.gather(*(router.route(r) for r in requests))
    for d in decisions:
        agent = d.agent.id if d.agent else None
        print(json.dumps({"call_sid": d.call_sid, "kind": d.kind.value, "agent": agent}))
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
