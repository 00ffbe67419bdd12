"""Fault tests: the shipped config with round-the-clock hours, on a Redis of the test's own."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ivr.app import create_app
from ivr.config import Settings
from ivr.connections import PrivateRedis
from tests.faults.carrier import GivesUp
from tests.telephony.conftest import Service, config_dir

__all__ = ["config_dir", "private_service"]


@pytest.fixture
async def private_service(
    settings: Settings, config_dir: Path, model_cache: Path, tmp_path: Path
) -> AsyncIterator[tuple[Service, PrivateRedis]]:
    """The app on a redis-server of this test's own, which the test may stop and kill."""
    private = PrivateRedis(data_dir=tmp_path / "redis-data")
    settings.redis_url = private.start()
    settings.config_dir, settings.cache_dir = config_dir, model_cache
    try:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = GivesUp(httpx.ASGITransport(app=app))
            yield Service(app=app, settings=settings, transport=transport), private  # type: ignore[arg-type]
            if private.pid is not None:
                os.kill(private.pid, signal.SIGCONT)
    finally:
        private.stop()
