"""The audit every fault test ends with: nothing lost, nobody in dead air."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set

import httpx
import redis.asyncio as aioredis

from ivr.events import STREAM_FIELD, CallEvent
from ivr.keys import Keys
from ivr.simulator.record import CallRecord

# A TwiML answer the caller can hear, or one that moves the call on.
_AUDIBLE = re.compile(r"<(Say|Play|Gather|Enqueue|Leave|Dial|Redirect|Record|Hangup)\b")


def dead_air(records: Sequence[CallRecord]) -> list[str]:
    """Every TwiML answer that neither plays something nor routes the call (status excepted)."""
    silent = []
    for record in records:
        for exchange in record.requests:
            if exchange.url.split("?", 1)[0].endswith("/twilio/status"):
                continue  # the call is over: Twilio ignores what we answer
            if exchange.params.get("QueueResult") == "hangup":
                continue  # the caller hung up in the queue: the same
            if exchange.status_code != 200 or not _AUDIBLE.search(exchange.body):
                silent.append(
                    f"{record.call_sid} {exchange.url}: {exchange.status_code} {exchange.body}"
                )
    return silent


async def stream_events(redis: aioredis.Redis, keys: Keys) -> dict[str, set[str]]:
    """Every event id the service wrote to the stream, by call (stored ones stay for hours)."""
    written: dict[str, set[str]] = defaultdict(set)
    for _, fields in await redis.xrange(keys.events_stream()):
        event = CallEvent.model_validate_json(fields[STREAM_FIELD])
        written[event.call_sid].add(event.id)
    return written


async def missing_events(
    api: httpx.AsyncClient,
    records: Sequence[CallRecord],
    *,
    within: float = 30.0,
    written: Mapping[str, Set[str]] | None = None,
) -> list[str]:
    """Calls whose ticket is absent, doubled or lacks its start, its end or an event written.

    `written` (from `stream_events`) holds each call's event ids as the service wrote
    them; without it only the start and the end are looked for.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        missing = []
        for record in records:
            found = (await api.get("/api/tickets", params={"caller": record.caller})).json()
            items = found["items"] if isinstance(found, dict) else found
            mine = [t for t in items if t["call_sid"] == record.call_sid]
            if len(mine) != 1:
                missing.append(f"{record.call_sid}: {len(mine)} tickets")
                continue
            full = (await api.get(f"/api/tickets/{mine[0]['id']}")).json()
            types = {e["type"] for e in full["events"]}
            if not {"call.started", "call.ended"} <= types:
                missing.append(f"{record.call_sid}: events {sorted(types)}")
            lost = set((written or {}).get(record.call_sid, ())) - {e["id"] for e in full["events"]}
            if lost:
                missing.append(f"{record.call_sid}: {len(lost)} event(s) written, not stored")
        if not missing or loop.time() > deadline:
            return missing
        await asyncio.sleep(0.2)
