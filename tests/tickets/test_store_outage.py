"""A database that refuses writes is an outage: events wait, nothing is parked or lost."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import redis.asyncio as aioredis
import sqlalchemy as sa
from typer.testing import CliRunner

from ivr.cli import app as cli
from ivr.events import EventLog
from ivr.keys import Keys
from ivr.tickets.outage import store_problem
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore
from tests.conftest import REDIS_URL
from tests.faults.unwritable import unwritable
from tests.tickets.conftest import answered_call


async def _until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        await asyncio.sleep(0.05)


async def _stored(store: TicketStore) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT count(*) FROM events"))).scalar_one())


async def test_a_burst_into_an_unwritable_database_arrives_once_it_is_writable(
    redis: aioredis.Redis, keys: Keys, tmp_path: Path
) -> None:
    db = tmp_path / "tickets.db"
    store = await TicketStore.open(f"sqlite:///{db}")
    calls = [answered_call(f"CA{n:03d}", caller=f"+1555{n:07d}") for n in range(100)]
    total = sum(len(c) for c in calls)
    log = EventLog(redis=redis, keys=keys)
    persister = Persister(
        redis=redis, keys=keys, store=store, consumer="p1", block_ms=20, backoff_max_seconds=0.4
    )
    stop = asyncio.Event()
    task = asyncio.create_task(persister.run(stop))
    try:
        for call in calls[:20]:
            await log.append(call)
        await _until(lambda: _has(store, 1), "the first events stored")
        with unwritable(db):
            for call in calls[20:]:
                await log.append(call)
            await _until(
                lambda: _is_reported(redis, keys), "the persister reporting the store unhealthy"
            )
            assert await redis.xlen(keys.events_dead_letter()) == 0
            assert await _stored(store) < total
        await _until(lambda: _has(store, total), "every event stored after the outage")
        await _until(lambda: _not_reported(redis, keys), "the store reported healthy again")
    finally:
        stop.set()
        await task
        await store.close()
    assert await redis.xlen(keys.events_dead_letter()) == 0


async def _has(store: TicketStore, n: int) -> bool:
    return await _stored(store) >= n


async def _is_reported(redis: aioredis.Redis, keys: Keys) -> bool:
    return await store_problem(redis, keys) is not None


async def _not_reported(redis: aioredis.Redis, keys: Keys) -> bool:
    return await store_problem(redis, keys) is None


async def test_replay_dead_brings_parked_events_back_to_the_store(
    redis: aioredis.Redis, keys: Keys, redis_prefix: str, tmp_path: Path
) -> None:
    store = await TicketStore.open(f"sqlite:///{tmp_path / 'tickets.db'}")
    events = answered_call("CA1")
    # Parked as an earlier release parked them (its write errors), plus one unreadable entry.
    for e in events:
        await redis.xadd(
            keys.events_dead_letter(), {"entry": "1-1", "error": "x", "raw": e.model_dump_json()}
        )
    await redis.xadd(keys.events_dead_letter(), {"entry": "1-2", "error": "x", "raw": "{junk"})
    result = await asyncio.to_thread(
        CliRunner().invoke,
        cli,
        ["tickets", "replay-dead"],
        env={"IVR_REDIS_URL": REDIS_URL, "IVR_REDIS_PREFIX": redis_prefix},
    )
    assert result.exit_code == 0, result.output
    assert f"replayed {len(events)} event(s); 1 unreadable" in result.output
    try:
        await Persister(redis=redis, keys=keys, store=store, consumer="p").drain()
        assert len((await store.get("CA1")).events) == len(events)
        assert await redis.xlen(keys.events_dead_letter()) == 1
    finally:
        await store.close()
