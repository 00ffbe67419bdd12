"""The one Settings object: what it derives from the environment's values."""

from __future__ import annotations

import pytest

from ivr.config import async_database_url


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
