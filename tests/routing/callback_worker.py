"""A server process for the callback race: books callbacks with its own Router.

Usage: python callback_worker.py REDIS_URL PREFIX TAG COUNT
Waits for the go signal (a token pushed on a Redis list), then asks, all at once, for a
callback for each of COUNT numbers (calls CA{TAG}{i}), printing one JSON line per answer.
"""

from __future__ import annotations

import asyncio
import json
import sys

from worker_support import router_at_go  # a sibling: the worker runs as a script

from ivr.routing.models import RoutingRequest


def number(i: int) -> str:
    """The caller number of the i-th request of every process."""
    return f"+1555777{i:04d}"


async def main(url: str, prefix: str, tag: str, count: int) -> None:
    """Request callbacks for numbers 0..count-1 concurrently once the test says go."""
    client, _, router = await router_at_go(url, prefix)
    requests = [
        RoutingRequest(
            call_sid=f"CA{tag}{i:04d}",
            caller=number(i),
            language="en-US",  # type: ignore[arg-type]
            topic="card_services",  # type: ignore[arg-type]
            entered_at=1_800_000_000.0,
        )
        for i in range(count)
    ]
    booked = await asyncio.gather(*(router.request_callback(r) for r in requests))
    for r, cb in zip(requests, booked, strict=True):
        row = {
            "call_sid": r.call_sid,
            "number": r.caller,
            "id": cb.id,
            "due_at": cb.due_at,
            "agent": cb.agent_id,
            "joined": cb.joined,
        }
        print(json.dumps(row))
    await client.aclose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
