"""The transcription worker killed: a caller who described their problem is routed anyway."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from ivr.app import create_app
from ivr.config import Settings
from ivr.simulator.script import Press, Speak
from tests.conftest import REDIS_URL
from tests.faults.audit import dead_air, missing_events
from tests.faults.carrier import GivesUp
from tests.telephony.conftest import Service

IVR = Path(sys.executable).with_name("ivr")


@pytest.fixture
async def service_without_transcriber(
    settings: Settings, config_dir: Path, model_cache: Path, tmp_path: Path, redis_prefix: str
) -> AsyncIterator[Service]:
    """The service relying on an `ivr worker` process, which is killed before the call."""
    settings.config_dir, settings.cache_dir = config_dir, model_cache
    settings.in_process_worker = False
    settings.transcription_deadline_seconds = 1.0
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(
        IVR_REDIS_URL=REDIS_URL,
        IVR_REDIS_PREFIX=redis_prefix,
        IVR_CONFIG_DIR=str(config_dir),
        IVR_CACHE_DIR=str(model_cache),
        IVR_DATA_DIR=str(tmp_path / "worker"),
    )
    worker = subprocess.Popen(
        [str(IVR), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            transport = GivesUp(httpx.ASGITransport(app=app))
            yield Service(app=app, settings=settings, transport=transport)  # type: ignore[arg-type]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


async def test_with_the_transcriber_dead_the_deadline_routes_the_caller(
    service_without_transcriber: Service,
) -> None:
    service = service_without_transcriber
    await service.add_agent("gus", skills={"general": 5})
    record = await service.carrier().place_call(
        [Press("1"), Press("8"), Speak("I want to check my savings balance"), Press("3")]
    )
    assert record.errors == []
    assert "<Identity>gus</Identity>" in "".join(r.body for r in record.requests)
    assert dead_air([record]) == []
    async with service.api() as api:
        assert await missing_events(api, [record]) == []
