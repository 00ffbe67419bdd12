"""Shared fixtures: a real Redis under a private key prefix, real databases, settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis as syncredis
import redis.asyncio as aioredis

from ivr.config import PROJECT_DIR, Settings
from ivr.keys import Keys

REDIS_URL = os.environ.get("IVR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_ADMIN_URL = os.environ.get("IVR_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _drop_prefix(prefix: str) -> None:
    client = syncredis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained models shared by every service in the session."""
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own, so tests never see each other's keys; deleted after."""
    prefix = f"ivr-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    _drop_prefix(prefix)


@pytest.fixture
def keys(redis_prefix: str) -> Keys:
    """Redis key builder under the test's prefix."""
    return Keys(prefix=redis_prefix)


@pytest.fixture
async def redis(redis_prefix: str) -> AsyncIterator[aioredis.Redis]:
    """A client of the real Redis at 127.0.0.1:6379 (see .ci/run)."""
    client: aioredis.Redis = aioredis.Redis.from_url(REDIS_URL, decode_responses=False)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
def whisper_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder for the Whisper model, assembled once per test session (145 MB)."""
    return tmp_path_factory.mktemp("whisper") / "whisper-base"


@pytest.fixture
def settings(tmp_path: Path, redis_prefix: str, whisper_model_dir: Path) -> Settings:
    """Settings pointing at real Redis, a fresh SQLite file and the shipped config."""
    return Settings(
        asr_model_path=str(whisper_model_dir),
        twilio_auth_token="test-auth-token-0123456789abcdef",
        twilio_account_sid="AC" + "0" * 32,
        public_url="http://testserver",
        redis_url=REDIS_URL,
        database_url=f"sqlite:///{tmp_path / 'ivr.db'}",
        data_dir=tmp_path / "var",
        config_dir=PROJECT_DIR,
        admin_token="test-admin-token",
        recording_hosts="api.twilio.com,127.0.0.1",
        redis_prefix=redis_prefix,
        _env_file=None,  # type: ignore[call-arg]
    )


def _pg_reachable() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database of this test's own (dropped after); plain SQLAlchemy URL."""
    if not _pg_reachable():
        # CI starts PostgreSQL (.ci/run); a missing server there is a failure, not a skip.
        pytest.fail("PostgreSQL is not running at 127.0.0.1:5432 (.ci/run starts it)")
    import sqlalchemy as sa

    name = f"ivr_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
