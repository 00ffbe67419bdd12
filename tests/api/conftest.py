"""One real `ivr serve` for the API tests that need the whole stack.

Started once per session (uvicorn, the persister, the shipped flows open
around the clock with an empty roster, JSON log lines at INFO): hostile
requests, /metrics, the log format and the OpenAPI fuzz talk to it over loopback.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ivr.config import PROJECT_DIR
from tests.conftest import _drop_prefix
from tests.servers import RunningService, start_service
from tests.telephony.conftest import set_hours

LIVE_ADMIN_TOKEN = "live-admin-token"
LIVE_METRICS_TOKEN = "live-metrics-token"
LIVE_AUTH_TOKEN = "live-auth-token-0123456789abcdef"


@pytest.fixture(scope="session")
def live_service(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path
) -> Iterator[RunningService]:
    """`ivr serve` on a free port, its own data dir, Redis prefix and configuration."""
    workdir = tmp_path_factory.mktemp("live")
    config = workdir / "config"
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(PROJECT_DIR / part, config / part)
    (config / "routing" / "agents.yaml").write_text("agents: []\n")
    set_hours(config, open_=True)
    running = start_service(
        workdir,
        config_dir=str(config),
        in_process_worker="false",
        admin_token=LIVE_ADMIN_TOKEN,
        metrics_token=LIVE_METRICS_TOKEN,
        twilio_auth_token=LIVE_AUTH_TOKEN,
        cache_dir=str(model_cache),
        log_level="INFO",
        log_format="json",
    )
    yield running
    running.stop()
    _drop_prefix(running.redis_prefix)
