"""The one Settings object: what it derives from the environment's values."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from ivr.config import Settings, async_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///var/ivr.db", "sqlite+aiosqlite:///var/ivr.db"),
        ("postgresql://ivr:p%40ss@db:5432/ivr", "postgresql+asyncpg://ivr:p%40ss@db:5432/ivr"),
        ("postgres://ivr@db/ivr", "postgresql+asyncpg://ivr@db/ivr"),
        ("postgresql+psycopg2://ivr@db/ivr", "postgresql+asyncpg://ivr@db/ivr"),
        ("postgresql+asyncpg://ivr@db/ivr", "postgresql+asyncpg://ivr@db/ivr"),
        ("mysql://ivr@db/ivr", "mysql://ivr@db/ivr"),
    ],
)
def test_the_database_url_gets_the_async_driver_of_its_database(given: str, expected: str) -> None:
    assert async_database_url(given) == expected


def test_the_banks_time_zone_is_shanghai_unless_set_and_checked_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IVR_TIMEZONE", raising=False)
    assert Settings(_env_file=None).zone == ZoneInfo("Asia/Shanghai")  # type: ignore[call-arg]
    monkeypatch.setenv("IVR_TIMEZONE", "UTC")
    assert Settings(_env_file=None).zone == ZoneInfo("UTC")  # type: ignore[call-arg]
    monkeypatch.setenv("IVR_TIMEZONE", "Europe/London")
    assert Settings(_env_file=None).timezone == "Europe/London"  # type: ignore[call-arg]
    monkeypatch.setenv("IVR_TIMEZONE", "")  # an empty line in .env: the default
    assert Settings(_env_file=None).timezone == "Asia/Shanghai"  # type: ignore[call-arg]
    monkeypatch.setenv("IVR_TIMEZONE", "Asia/Shangai")
    with pytest.raises(ValidationError, match="unknown time zone 'Asia/Shangai'"):
        Settings(_env_file=None)  # type: ignore[call-arg]
