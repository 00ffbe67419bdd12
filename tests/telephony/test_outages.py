"""When Redis or the ticket store goes away: health says which, and callers still hear something."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ivr.app import create_app
from ivr.config import Settings
from ivr.connections import PrivateRedis
from ivr.simulator.script import Press
from tests.conftest import PG_ADMIN_URL
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of


def _allow_connections(database: str, allowed: bool) -> None:
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {str(allowed).lower()}')
        )
        if not allowed:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"
                ),
                {"d": database},
            )
    admin.dispose()


@pytest.fixture
async def pg_service(
    settings: Settings, config_dir: Path, model_cache: Path, pg_url: str
) -> AsyncIterator[Service]:
    """The service with its tickets in a PostgreSQL database of this test's own."""
    settings.config_dir, settings.cache_dir, settings.database_url = config_dir, model_cache, pg_url
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Service(app=app, settings=settings, transport=httpx.ASGITransport(app=app))
    _allow_connections(pg_url.rsplit("/", 1)[1], True)


async def _health(service: Service) -> httpx.Response:
    async with service.api() as api:
        return await api.get("/healthz")


async def test_with_the_ticket_store_down_calls_go_on_and_their_tickets_follow(
    pg_service: Service, pg_url: str
) -> None:
    database = pg_url.rsplit("/", 1)[1]
    await pg_service.add_agent("ana", skills={"account_inquiry": 4})
    assert (await _health(pg_service)).status_code == 200

    _allow_connections(database, False)
    down = await _health(pg_service)
    assert down.status_code == 503
    assert down.json()["failed"] == ["tickets"]
    record = await pg_service.carrier().place_call([Press("1"), Press("3"), Press("5")])
    assert record.errors == []
    assert "<Identity>ana</Identity>" in "".join(r.body for r in record.requests)

    await asyncio.sleep(1.0)  # the persister meets the outage and backs off
    _allow_connections(database, True)
    # Healthy again once the persister's next attempt (after its backoff) commits.
    for _ in range(300):
        if (await _health(pg_service)).status_code == 200:
            break
        await asyncio.sleep(0.1)
    assert (await _health(pg_service)).status_code == 200
    ticket = await ticket_of(pg_service, record, csat=5, ended=True)
    assert ticket["topic"] == "account_inquiry"


async def test_with_redis_gone_health_names_it_and_a_caller_still_hears_an_apology(
    settings: Settings, config_dir: Path, model_cache: Path, tmp_path: Path
) -> None:
    private = PrivateRedis(data_dir=tmp_path / "redis-data")
    settings.redis_url = private.start()
    settings.config_dir, settings.cache_dir = config_dir, model_cache
    try:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            service = Service(app=app, settings=settings, transport=httpx.ASGITransport(app=app))
            assert (await _health(service)).status_code == 200
            private.stop()
            gone = await _health(service)
            assert gone.status_code == 503
            assert "redis" in gone.json()["failed"]
            record = await service.carrier().place_call([Press("1")])
            first = record.requests[0]
            assert first.status_code == 200 and first.content_type.startswith("text/xml")
            assert "<Say" in first.body and "<Enqueue" in first.body
    finally:
        private.stop()
