"""Several `ivr persister` processes share the consumer group: every event stored once."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from redis.exceptions import ResponseError

from ivr.cli.serve import Watchdog
from ivr.events import EventLog
from ivr.keys import Keys
from ivr.tickets.persister import GROUP
from tests.conftest import REDIS_URL
from tests.tickets.conftest import answered_call


async def _consumers_reading(redis: aioredis.Redis, keys: Keys, n: int) -> None:
    deadline = time.monotonic() + 60
    names: set[object] = set()
    while len(names) < n:
        assert time.monotonic() < deadline, f"only {len(names)} persister(s) reading"
        await asyncio.sleep(0.1)
        try:
            consumers = await redis.xinfo_consumers(keys.events_stream(), GROUP)
        except ResponseError:
            continue  # no group yet
        names = {c["name"] for c in consumers}


async def test_two_persister_processes_share_the_stream(
    redis: aioredis.Redis,
    keys: Keys,
    redis_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "tickets.db"
    for name, value in {
        "IVR_REDIS_URL": REDIS_URL,
        "IVR_REDIS_PREFIX": redis_prefix,
        "IVR_DATABASE_URL": f"sqlite:///{db}",
        "IVR_DATA_DIR": str(tmp_path / "var"),
    }.items():
        monkeypatch.setenv(name, value)
    calls = [answered_call(f"CA{n:03d}", caller=f"+1555{n:07d}") for n in range(60)]
    total = sum(len(c) for c in calls)
    watchdog = Watchdog(None, persisters=2)
    try:
        assert len({p.pid for p in watchdog.persisters}) == 2
        # Both must be reading before the burst: one alone could store it all first.
        await _consumers_reading(redis, keys, 2)
        log = EventLog(redis=redis, keys=keys)
        for call in calls:
            await log.append(call)
        engine = sa.create_engine(f"sqlite:///{db}")
        deadline = time.monotonic() + 90
        stored = 0
        while stored < total and time.monotonic() < deadline:
            await asyncio.sleep(0.3)
            try:
                with engine.connect() as conn:
                    stored = conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
            except sa.exc.OperationalError:
                stored = 0  # not migrated yet
        engine.dispose()
        assert stored == total
        consumers = await redis.xinfo_consumers(keys.events_stream(), GROUP)
        assert len({c["name"] for c in consumers}) == 2
        assert (await redis.xpending(keys.events_stream(), GROUP))["pending"] == 0
    finally:
        watchdog.stop()
