"""A server process for the concurrency test: routes calls with its own Router.

Usage: python routing_worker.py REDIS_URL PREFIX FIRST COUNT   (route new calls)
       python routing_worker.py REDIS_URL PREFIX serve          (tick, and poll every waiter)
Waits for the go signal (a token pushed on a Redis list), then works all at
once and prints one JSON line per decision.
"""

from __future__ import annotations

import asyncio
import json
import sys

from worker_support import router_at_go  # a sibling: the worker runs as a script

from ivr.routing.models import RoutingRequest


async def main(url: str, prefix: str, first: int, count: int) -> None:
    """Route calls first..first+count-1 concurrently once the test says go."""
    client, keys, router = await router_at_go(url, prefix)
    if count == 0:  # serve: what a freed roster does to the callers already waiting
        waiting = await client.zrange(keys.routing("waiting", "card_services.en-US"), 0, -1)
        polls = [router.poll(sid.decode()) for sid in waiting]
        decisions = await asyncio.gather(router.tick(), *polls)
        for d in decisions[1:]:
            agent = d.agent.id if d.agent else None  # type: ignore[union-attr]
            print(json.dumps({"call_sid": d.call_sid, "kind": d.kind.value, "agent": agent}))  # type: ignore[union-attr]
        await client.aclose()
        return
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
    if sys.argv[3] == "serve":
        asyncio.run(main(sys.argv[1], sys.argv[2], 0, 0))
    else:
        asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
