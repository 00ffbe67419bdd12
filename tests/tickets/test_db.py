"""Retiring a store's connections closes every one of them, those in use at the time too."""

from __future__ import annotations

import gc
import warnings
from typing import Any

from sqlalchemy import text

from ivr.tickets.db import retire_connections
from ivr.tickets.store import TicketStore


def _closed(driver_connection: Any) -> bool:
    if hasattr(driver_connection, "is_closed"):  # asyncpg
        return bool(driver_connection.is_closed())
    return driver_connection._connection is None  # aiosqlite


async def test_a_connection_in_use_when_retired_is_closed_and_replaced(
    store: TicketStore,
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with store.engine.connect() as busy:
            old = (await busy.get_raw_connection()).driver_connection
            retire_connections(store.engine)
            await busy.execute(text("SELECT 1"))
        async with store.engine.connect() as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
            new = (await conn.get_raw_connection()).driver_connection
        assert new is not old
        assert _closed(old)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


async def test_connections_opened_after_a_retirement_are_kept(store: TicketStore) -> None:
    retire_connections(store.engine)
    async with store.engine.connect() as conn:
        first = (await conn.get_raw_connection()).driver_connection
    async with store.engine.connect() as conn:
        assert (await conn.get_raw_connection()).driver_connection is first
