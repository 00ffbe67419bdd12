"""The write-behind consumer: moves call events from the Redis stream into the ticket store.

A consumer group reads the stream; each batch is stored in one transaction and
acknowledged only after it commits, so a process killed at any moment loses
nothing: its unacknowledged entries stay in the group's pending list, and a
restart (same consumer name) reads them first, while another consumer claims
them (XAUTOCLAIM) once they have been idle long enough. Storing is idempotent
by event id, so an entry stored but not acknowledged is skipped the second time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import RedisError, ResponseError

from ivr.events import STREAM_FIELD, CallEvent
from ivr.keys import Keys
from ivr.security.redact import redact
from ivr.tickets.customers import write_summaries
from ivr.tickets.db import retire_connections
from ivr.tickets.outage import is_outage, report_healthy, report_unhealthy
from ivr.tickets.store import PersistResult, TicketStore

GROUP = "tickets"
IDLE_CONSUMER_MS = 3_600_000  # an hour without reading: its process is gone
REPLAY_KEEP_SECONDS = 4 * 3600  # stored events stay this long for the pages' live replay
log = logging.getLogger(__name__)


def default_consumer() -> str:
    """This process's consumer name: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _entry_order(entry_id: str) -> tuple[int, int]:
    """A stream entry id as comparable numbers ("12-3" sorts before "100-0")."""
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _limits_ok(event: CallEvent) -> bool:
    # Column sizes of the store: an entry beyond them could never be stored.
    return len(event.id) <= 96 and len(event.call_sid) <= 64 and len(event.type) <= 64


@dataclass
class Entry:
    """One stream entry: its id, and the event or why it is unreadable."""

    entry_id: str
    event: CallEvent | None
    raw: str
    error: str = ""


def parse_entry(entry_id: Any, fields: Any) -> Entry:
    """Decode a stream entry into a CallEvent, or say why it cannot be one."""
    eid = _text(entry_id)
    if not fields:
        return Entry(eid, None, "", "entry deleted from the stream")
    raw_value = fields.get(STREAM_FIELD, fields.get(STREAM_FIELD.decode()))
    if raw_value is None:
        return Entry(
            eid, None, json.dumps({_text(k): _text(v) for k, v in fields.items()}), "no event field"
        )
    raw = _text(raw_value)
    try:
        event = CallEvent.model_validate_json(raw)
    except ValidationError as exc:
        return Entry(eid, None, raw, f"not a CallEvent: {exc.error_count()} error(s)")
    if not _limits_ok(event):
        return Entry(eid, None, raw, "id, call_sid or type too long")
    return Entry(eid, event, raw)


class Persister:
    """A consumer of the events stream that stores each event exactly once."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        keys: Keys,
        store: TicketStore,
        consumer: str | None = None,
        group: str = GROUP,
        batch_size: int = 2000,
        block_ms: int = 1000,
        claim_idle_ms: int = 30_000,
        backoff_max_seconds: float = 5.0,
        linger_ms: int = 250,
        replay_keep_seconds: float = REPLAY_KEEP_SECONDS,
        trim_every_seconds: float = 1.0,
    ) -> None:
        self.redis = redis
        self.replay_keep_seconds = replay_keep_seconds
        self.keys = keys
        self.store = store
        self.consumer = consumer or default_consumer()
        self.group = group
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.backoff_max_seconds = backoff_max_seconds
        self.linger_ms = linger_ms
        self.trim_every_seconds = trim_every_seconds
        self.stream = keys.events_stream()
        self.stored = 0
        self._own_backlog = True  # read our own pending entries before new ones
        self._group_ready = False
        self._reads = 0

    async def ensure_group(self) -> None:
        """Create the consumer group (and stream) unless they exist."""
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _read(self, block_ms: int | None) -> list[Entry]:
        if self._own_backlog:
            reply = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: "0"}, count=self.batch_size
            )
            entries = [parse_entry(i, f) for _, items in reply for i, f in items]
            if entries:
                return entries
            self._own_backlog = False
        self._reads += 1
        # Look for a dead consumer's entries when idle, and now and then under load.
        if self._reads % 50 == 0 and (claimed := await self._claim_abandoned()):
            return claimed
        reply = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=self.batch_size, block=block_ms
        )
        entries = [parse_entry(i, f) for _, items in reply for i, f in items]
        if not entries:
            return await self._claim_abandoned()
        if self.linger_ms and len(entries) < self.batch_size and block_ms is not None:
            # Events trickle in a few per webhook: wait a moment and take what came since,
            # so the store sees one transaction per batch, not one per webhook. Each batch
            # loads and saves every ticket it touches once: a quarter second's batch under
            # load costs the machine's web workers far less than five small ones (the
            # webhook bench went from 0.49x to 0.55x of the bare endpoint), and a ticket
            # shows up a quarter second later.
            await asyncio.sleep(self.linger_ms / 1000)
            more = await self.redis.xreadgroup(
                self.group,
                self.consumer,
                {self.stream: ">"},
                count=self.batch_size - len(entries),
            )
            entries += [parse_entry(i, f) for _, items in more for i, f in items]
        return entries

    async def _claim_abandoned(self) -> list[Entry]:
        """Entries another consumer read and never acknowledged (it died): take them over."""
        reply = await self.redis.xautoclaim(
            self.stream,
            self.group,
            self.consumer,
            min_idle_time=self.claim_idle_ms,
            start_id="0-0",
            count=self.batch_size,
        )
        items = reply[1] if len(reply) > 1 else []
        return [parse_entry(i, f) for i, f in items]

    async def _store(self, events: list[CallEvent]) -> tuple[PersistResult, list[Entry]]:
        """Persist a batch; if the store refuses it for its content, find the events at fault.

        A write error (disk, read-only file, lock, lost connection) raises: the batch
        stays pending and is retried, however many times it takes.
        """
        try:
            return await self.store.persist(events), []
        except Exception as exc:
            if is_outage(exc):
                raise
            await self.store.ping()  # raises while the database is down: the batch waits
        total, bad = PersistResult(), []
        for event in events:
            try:
                one = await self.store.persist([event])
            except Exception as exc:
                if is_outage(exc):
                    raise
                bad.append(Entry("", event, event.model_dump_json(), f"store refused: {exc!r}"))
                continue
            total.stored += one.stored
            total.duplicates += one.duplicates
            total.callers |= one.callers
        return total, bad

    async def _dead_letter(self, entries: list[Entry]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for e in entries:
                # The raw entry may hold what the caller said: redact before parking it.
                pipe.xadd(
                    self.keys.events_dead_letter(),
                    {"entry": e.entry_id, "error": e.error[:500], "raw": redact(e.raw)[:100_000]},
                    maxlen=100_000,
                    approximate=True,
                )
            await pipe.execute()
        log.warning(
            "parked %d unreadable event(s) in %s", len(entries), self.keys.events_dead_letter()
        )

    async def step(self, *, block_ms: int | None = None) -> int:
        """Handle one batch: store, refresh caller summaries, then acknowledge. Returns the count.

        Raises when the database (or Redis) is down; the batch then stays pending.
        """
        await self.ensure_group()
        try:
            entries = await self._read(block_ms)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._group_ready = False  # the stream was deleted under us; recreate next time
            return 0
        except BaseException:
            # A read that timed out or lost its connection may still have been served:
            # Redis then holds those entries pending for us, and only reading our own
            # backlog finds them (not waiting for them to look abandoned).
            self._own_backlog = True
            raise
        if not entries:
            return 0
        events = [e.event for e in entries if e.event is not None]
        unreadable = [e for e in entries if e.event is None and e.raw]
        try:
            result, refused = await self._store(events) if events else (PersistResult(), [])
        except BaseException:
            self._own_backlog = True
            raise
        if unreadable or refused:
            await self._dead_letter(unreadable + refused)
        if result.callers:
            summaries = await self.store.customer_summaries(result.callers)
            await write_summaries(self.redis, keys=self.keys, summaries=summaries)
        await self.redis.xack(self.stream, self.group, *[e.entry_id for e in entries])
        self.stored += result.stored
        return len(entries)

    async def drain(self) -> int:
        """Process until nothing is pending or new (tests, shutdown); returns the count."""
        handled = 0
        while True:
            n = await self.step(block_ms=None)
            if n == 0 and not self._own_backlog:
                break
            handled += n
        return handled

    async def trim(self) -> None:
        """Drop stream entries every consumer of the group has acknowledged."""
        pending = await self.redis.xpending(self.stream, self.group)
        groups = await self.redis.xinfo_groups(self.stream)
        mine = next((g for g in groups if _text(g.get("name")) == self.group), None)
        if mine is None:
            return
        floor = _text(pending["min"]) if pending and pending.get("pending") else None
        if floor is None:
            last = _text(mine.get("last-delivered-id", "0-0"))
            ms, _, seq = last.partition("-")
            floor = f"{ms}-{int(seq or 0) + 1}"
        # Keep the last replay_keep_seconds even when stored: the pages' live channel
        # (ivr.web.live) replays them to a reconnecting or second browser tab.
        keep = f"{int((time.time() - self.replay_keep_seconds) * 1000)}-0"
        floor = min(floor, keep, key=_entry_order)
        await self.redis.xtrim(self.stream, minid=floor, approximate=False)
        await self._forget_idle_consumers()

    async def _forget_idle_consumers(self) -> None:
        """Remove consumers of past processes that hold nothing (each restart has a new pid)."""
        for c in await self.redis.xinfo_consumers(self.stream, self.group):
            name = _text(c.get("name"))
            if (
                name != self.consumer
                and not c.get("pending")
                and c.get("idle", 0) > IDLE_CONSUMER_MS
            ):
                await self.redis.xgroup_delconsumer(self.stream, self.group, name)

    async def run(self, stop: asyncio.Event) -> None:
        """Persist until `stop` is set; retries with backoff while the database or Redis is down.

        While the store refuses writes, /healthz says so (`report_unhealthy`), and the
        pool's connections are retired after each failure: a SQLite connection opened
        while the file was unwritable stays read-only for good, a fresh one writes once
        it can.
        """
        delay = 0.5
        unhealthy = False
        last_trim = time.monotonic()
        while not stop.is_set():
            try:
                handled = await self.step(block_ms=self.block_ms)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("ticket store unavailable, events wait in the stream: %r", exc)
                unhealthy = await self._outage(exc) or unhealthy
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                delay = min(delay * 2, self.backoff_max_seconds)
                continue
            delay = 0.5
            if unhealthy and handled:
                with contextlib.suppress(RedisError):
                    await report_healthy(self.redis, self.keys)
                    unhealthy = False
                    log.warning("ticket store takes writes again")
            # What is stored leaves Redis soon: the stream is no archive of what callers said.
            if handled and time.monotonic() - last_trim >= self.trim_every_seconds:
                last_trim = time.monotonic()
                with contextlib.suppress(Exception):
                    await self.trim()

    async def _outage(self, exc: Exception) -> bool:
        """After a failed batch: report a store outage, retire its connections; True if reported."""
        if isinstance(exc, RedisError) or not is_outage(exc):
            return False
        retire_connections(self.store.engine)
        try:
            await report_unhealthy(self.redis, self.keys, f"writes failing: {type(exc).__name__}")
        except RedisError:
            return False
        return True
