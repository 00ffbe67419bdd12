"""Call events persisted per second: the write-behind path vs one-row-per-transaction inserts.

Write-behind: events are XADDed to the Redis stream (as webhooks do) and a
Persister drains them in batches, projecting tickets and caller summaries.
Baseline: the same events inserted straight into the events table, one row per
transaction (what a webhook writing synchronously would do, without even the
ticket projection). Both on SQLite (a temp file) and PostgreSQL (a temporary
database at IVR_BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres).
Redis at IVR_BENCH_REDIS_URL (default 127.0.0.1:6379), under a private prefix
deleted afterwards.

It then measures how storage scales out: the same stream drained by one and by
two persister processes sharing the consumer group (`IVR_PERSISTERS`), on each
database, printing the ratio of two to one.

Run by hand: .venv/bin/python bench/tickets.py [EVENTS]
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import sqlalchemy as sa
from sqlalchemy import insert

from ivr.events import CallEvent, EventLog, event_id
from ivr.keys import Keys
from ivr.tickets.models import Event, ticket_id
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore

REDIS_URL = os.environ.get("IVR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_URL = os.environ.get("IVR_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("call.started", {"caller": "+1415555{n:04d}", "called": "+18005550199"}),
    ("language.chosen", {"language": "en-US"}),
    ("menu.entered", {"node": "main", "flow": "main"}),
    ("menu.input", {"node": "main", "speech": "I lost my card 4111 1111 1111 1111", "digits": ""}),
    ("nlu.read", {"topic": "lost_stolen_card", "emotion": "anxious", "emotion_intensity": 0.6}),
    ("routing.decided", {"kind": "queue", "queue": "cards", "reason": "all busy"}),
    ("queue.joined", {"queue": "cards"}),
    ("queue.left", {"queue": "cards", "reason": "bridged", "wait_seconds": 14}),
    ("agent.result", {"agent_id": "a1", "dial_status": "completed", "duration": 95}),
    ("call.ended", {"status": "completed", "duration": 120}),
]


def make_events(total: int, run: str) -> list[CallEvent]:
    """`total` events of simulated calls, ten steps each."""
    events = []
    for n in range(total // len(STEPS)):
        sid = f"CA{run}{n:024d}"
        for i, (kind, data) in enumerate(STEPS):
            filled = {
                k: v.format(n=n % 10_000) if isinstance(v, str) else v for k, v in data.items()
            }
            events.append(
                CallEvent(
                    id=event_id(sid, "s", i), call_sid=sid, at=1e9 + n + i, type=kind, data=filled
                )
            )
    return events


async def write_behind(url: str, events: list[CallEvent]) -> float:
    """Seconds to XADD `events` and drain them into the store."""
    store = await TicketStore.open(url)
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = Keys(prefix=f"ivr-bench:{uuid.uuid4().hex[:8]}:")
    try:
        persister = Persister(
            redis=client, keys=keys, store=store, consumer="bench", batch_size=500
        )
        await persister.ensure_group()
        log = EventLog(redis=client, keys=keys)
        start = time.perf_counter()
        for i in range(0, len(events), 1000):
            await log.append(events[i : i + 1000])
        await persister.drain()
        elapsed = time.perf_counter() - start
        assert persister.stored == len(events), (persister.stored, len(events))
        return elapsed
    finally:
        keys_left = [k async for k in client.scan_iter(match=keys.prefix + "*", count=1000)]
        if keys_left:
            await client.delete(*keys_left)
        await client.aclose()
        await store.close()


async def one_row_per_transaction(url: str, events: list[CallEvent]) -> float:
    """Seconds to insert `events` into the events table, one transaction each."""
    store = await TicketStore.open(url)
    try:
        start = time.perf_counter()
        for e in events:
            async with store.engine.begin() as conn:
                await conn.execute(
                    insert(Event),
                    [
                        {
                            "id": e.id,
                            "call_sid": e.call_sid,
                            "ticket_id": ticket_id(e.call_sid),
                            "at": e.at,
                            "type": e.type,
                            "data": e.data,
                        }
                    ],
                )
        return time.perf_counter() - start
    finally:
        await store.close()


def _drain_process(url: str, prefix: str, consumer: str) -> int:
    """In a process of its own: drain the stream as one consumer of the group."""

    async def run() -> int:
        store = await TicketStore.open(url, run_migrations=False)
        client = aioredis.Redis.from_url(REDIS_URL)
        try:
            persister = Persister(
                redis=client,
                keys=Keys(prefix=prefix),
                store=store,
                consumer=consumer,
                batch_size=500,
            )
            await persister.drain()
            return persister.stored
        finally:
            await client.aclose()
            await store.close()

    return asyncio.run(run())


async def shared_group(url: str, events: list[CallEvent], processes: int) -> float:
    """Seconds for `processes` persister processes to store a stream of `events` together."""
    store = await TicketStore.open(url)  # migrated once, before the clock starts
    await store.close()
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = Keys(prefix=f"ivr-bench:{uuid.uuid4().hex[:8]}:")
    try:
        await Persister(redis=client, keys=keys, store=store, consumer="setup").ensure_group()
        log = EventLog(redis=client, keys=keys)
        for i in range(0, len(events), 1000):
            await log.append(events[i : i + 1000])
        context = multiprocessing.get_context("spawn")
        with context.Pool(processes) as pool:
            start = time.perf_counter()
            stored = pool.starmap(
                _drain_process, [(url, keys.prefix, f"bench{n}") for n in range(processes)]
            )
            elapsed = time.perf_counter() - start
        assert sum(stored) == len(events), (stored, len(events))
        return elapsed
    finally:
        keys_left = [k async for k in client.scan_iter(match=keys.prefix + "*", count=1000)]
        if keys_left:
            await client.delete(*keys_left)
        await client.aclose()


async def scale_out(label: str, make_url: Callable[[], str], total: int) -> None:
    one = await shared_group(make_url(), make_events(total, "c"), 1)
    two = await shared_group(make_url(), make_events(total, "d"), 2)
    print(
        f"{label:<10} 1 persister {total / one:9,.0f} events/s   "
        f"2 persisters {total / two:9,.0f} events/s   ratio {one / two:5.2f}x"
    )


def _pg_database() -> tuple[str, sa.Engine, str]:
    name = f"ivr_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.rsplit("/", 1)[0]
    return name, admin, f"{base}/{name}"


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def bench(label: str, make_url: Callable[[], str], total: int, baseline_total: int) -> None:
    ours_url, base_url = make_url(), make_url()
    ours = await write_behind(ours_url, make_events(total, "a"))
    base = await one_row_per_transaction(base_url, make_events(baseline_total, "b"))
    ours_rate, base_rate = total / ours, baseline_total / base
    print(
        f"{label:<10} write-behind {ours_rate:9,.0f} events/s ({total} in {ours:.2f} s)   "
        f"one-row-per-transaction {base_rate:9,.0f} events/s ({baseline_total} in {base:.2f} s)   "
        f"ratio {ours_rate / base_rate:6.1f}x"
    )


async def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    baseline_total = min(total, 3_000)
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(100))
        await bench(
            "sqlite",
            lambda: f"sqlite:///{Path(tmp) / f'b{next(counter)}.db'}",
            total,
            baseline_total,
        )
        await scale_out("sqlite", lambda: f"sqlite:///{Path(tmp) / f'b{next(counter)}.db'}", total)
    made: list[tuple[str, sa.Engine]] = []

    def pg() -> str:
        name, admin, url = _pg_database()
        made.append((name, admin))
        return url

    try:
        await bench("postgresql", pg, total, baseline_total)
        await scale_out("postgresql", pg, total)
    finally:
        for name, admin in made:
            _drop(admin, name)


if __name__ == "__main__":
    asyncio.run(main())
