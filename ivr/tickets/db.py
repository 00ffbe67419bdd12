"""Engines for the ticket store, and schema migration (Alembic) that `ivr serve` runs on start."""

from __future__ import annotations

import asyncio
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from ivr.config import async_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x1F0E7  # any constant shared by every process of the service


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets the API read while the persister writes; busy_timeout waits out
    # the other writer instead of failing at once.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_GENERATION = "ivr_generation"
_generations: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()


def _renewable(engine: AsyncEngine) -> AsyncEngine:
    """Let `retire_connections` replace the pool's connections when they are next checked out."""
    sync = engine.sync_engine

    def stamp(_dbapi_conn: Any, record: Any) -> None:
        record.info[_GENERATION] = _generations.get(sync, 0)

    def check(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if record.info.get(_GENERATION) != _generations.get(sync, 0):
            raise DisconnectionError("retired: opened before the store's last outage")

    event.listen(sync, "connect", stamp)
    event.listen(sync, "checkout", check)
    return engine


def retire_connections(engine: AsyncEngine) -> None:
    """Every connection `engine` holds now, in use or idle, is closed and reopened at its next use.

    Unlike `dispose()`, which forgets the connections in use at the time (they
    are later garbage-collected unclosed, their threads left waiting), the pool
    closes each retired connection itself when it is next checked out.
    """
    sync = engine.sync_engine
    _generations[sync] = _generations.get(sync, 0) + 1


def make_engine(url: str) -> AsyncEngine:
    """An async engine for `url` (plain or async form); SQLite's folder is created.

    SQL parameters are kept out of error messages, so a logged database error
    never carries what a caller said.
    """
    url = async_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return _renewable(engine)
    return _renewable(
        create_async_engine(
            url, pool_size=5, max_overflow=5, pool_pre_ping=True, hide_parameters=True
        )
    )


def _no_implicit_transactions(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None


def _begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _transactional_ddl(engine: AsyncEngine) -> None:
    """Make SQLite run a migration as one transaction holding the write lock from its start.

    The sqlite3 module commits before DDL on its own, so a migration killed
    half-way (or racing another process) would leave tables without a version
    stamp; with explicit BEGIN IMMEDIATE the whole upgrade is atomic and a
    second process waits, then finds the schema current.
    """
    event.listen(engine.sync_engine, "connect", _no_implicit_transactions)
    event.listen(engine.sync_engine, "begin", _begin_immediate)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config pointing at the migrations inside the package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", async_database_url(url))
    return cfg


def _upgrade(connection: Connection, cfg: Config, revision: str) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def migrate(url: str, *, revision: str = "head", attempts: int = 3) -> None:
    """Bring the schema at `url` up to `revision` (idempotent; safe on every start).

    `ivr serve --workers N` starts N processes that all migrate at once: on
    PostgreSQL an advisory lock lets one go first; on SQLite a loser retries
    and then finds the schema already current.
    """
    for attempt in range(1, attempts + 1):
        engine = make_engine(url)
        if engine.dialect.name == "sqlite":
            _transactional_ddl(engine)
        try:
            async with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK}
                    )
                await conn.run_sync(_upgrade, alembic_config(), revision)
            return
        except Exception:
            if attempt == attempts:
                raise
            await asyncio.sleep(0.5 * attempt)
        finally:
            await engine.dispose()
