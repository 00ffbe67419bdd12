"""A persister process killed with SIGKILL during a burst loses nothing and stores nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import redis.asyncio as aioredis
from sqlalchemy import func, select

from ivr.events import CallEvent, EventLog, event_id
from ivr.keys import Keys
from ivr.tickets.models import Event, Ticket
from ivr.tickets.persister import GROUP, Persister
from ivr.tickets.store import TicketStore

CHILD = """
import asyncio, sys
import redis.asyncio as aioredis
from ivr.keys import Keys
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore

async def main(url, redis_url, prefix, consumer):
    store = await TicketStore.open(url, run_migrations=False)
    client = aioredis.Redis.from_url(redis_url)
    persister = Persister(redis=client, keys=Keys(prefix=prefix), store=store,
                          consumer=consumer, batch_size=40, block_ms=50)
    await persister.run(asyncio.Event())

asyncio.run(main(*sys.argv[1:]))
"""

CALLS = 60
STEPS = 25  # events per call


def burst(call: int) -> list[CallEvent]:
    """One call's events: started, many menu steps, ended."""
    sid = f"CA{call:032d}"
    events = [
        CallEvent(
            id=event_id(sid, "voice"),
            call_sid=sid,
            at=1000.0 + call,
            type="call.started",
            data={"caller": f"+1555{call:07d}"},
        )
    ]
    for i in range(STEPS - 2):
        events.append(
            CallEvent(
                id=event_id(sid, f"g{i}"),
                call_sid=sid,
                at=1000.0 + call + i + 1,
                type="menu.entered",
                data={"node": f"n{i}", "flow": "main"},
            )
        )
    events.append(
        CallEvent(
            id=event_id(sid, "status"),
            call_sid=sid,
            at=1100.0 + call,
            type="call.ended",
            data={"status": "completed"},
        )
    )
    return events


def spawn(url: str, redis_url: str, keys: Keys) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, url, redis_url, keys.prefix, "crash-test:1"],
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


async def _stored(store: TicketStore) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Event)) or 0)


async def _group(redis: aioredis.Redis, keys: Keys) -> dict[str, object]:
    groups = await redis.xinfo_groups(keys.events_stream())
    return next(g for g in groups if g["name"] in (GROUP, GROUP.encode()))


async def test_sigkill_during_a_burst_loses_nothing(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, db_url: str
) -> None:
    redis_url = "redis://127.0.0.1:6379/0"
    await Persister(redis=redis, keys=keys, store=store, consumer="setup").ensure_group()
    log = EventLog(redis=redis, keys=keys)
    calls = [burst(c) for c in range(CALLS)]
    child = spawn(db_url, redis_url, keys)
    try:
        killed_at = None
        for c, events in enumerate(calls):
            await log.append(events)
            await log.append(events[: STEPS // 5])  # carrier retries of the first webhooks
            if killed_at is None and c >= CALLS // 4:
                # Kill it mid-burst, once it has committed something.
                while await _stored(store) == 0:
                    await asyncio.sleep(0.01)
                child.send_signal(signal.SIGKILL)
                child.wait()
                killed_at = await _stored(store)
        assert killed_at is not None
        assert killed_at < CALLS * STEPS  # it really died during the burst

        child = spawn(db_url, redis_url, keys)
        while True:
            g = await _group(redis, keys)
            if g["pending"] == 0 and g["lag"] == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        child.kill()
        child.wait()

    assert await _stored(store) == CALLS * STEPS
    async with store.session() as session:
        ids = set(await session.scalars(select(Event.id)))
        tickets = (await session.scalars(select(Ticket))).all()
    assert ids == {e.id for events in calls for e in events}
    assert len(tickets) == CALLS
    # Each step projected exactly once, even those stored but not acknowledged before the kill.
    assert all(len(t.menu_path) == STEPS - 2 for t in tickets)
    assert all(t.outcome == "self_service" for t in tickets)
