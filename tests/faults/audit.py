"""The audit every fault test ends with: nothing lost, nobody in dead air."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

import httpx

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
            if exchange.status_code != 200 or not _AUDIBLE.search(exchange.body):
                silent.append(
                    f"{record.call_sid} {exchange.url}: {exchange.status_code} {exchange.body}"
                )
    return silent


async def missing_events(
    api: httpx.AsyncClient, records: Sequence[CallRecord], *, within: float = 30.0
) -> list[str]:
    """Calls whose ticket is absent or lacks its start or end, once the persister caught up."""
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
        if not missing or loop.time() > deadline:
            return missing
        await asyncio.sleep(0.2)
