"""The persister as a process of its own: `ivr persister`, and the one `ivr serve` starts."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

from ivr.config import Settings
from ivr.connections import redis_client, wait_until_ready
from ivr.keys import Keys
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore

log = logging.getLogger(__name__)


async def run_persister(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """Move call events from the Redis stream into the ticket store until SIGTERM or SIGINT.

    Returns how many events this process stored.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    redis = redis_client(settings.redis_url)
    try:
        await wait_until_ready(redis)
        store = await TicketStore.open(settings.database_url_async())
        try:
            persister = Persister(
                redis=redis,
                keys=Keys(prefix=settings.redis_prefix),
                store=store,
                claim_idle_ms=round(settings.persister_claim_idle_seconds * 1000),
            )
            log.info("persister %s started", persister.consumer)
            gc.freeze()  # what start-up built stays: the collector need not walk it again
            await persister.run(stop)
            return persister.stored
        finally:
            await store.close()
    finally:
        await redis.aclose()
