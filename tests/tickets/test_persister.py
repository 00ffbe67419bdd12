"""The write-behind path: events through the Redis stream into the store, exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import redis.asyncio as aioredis

from ivr.events import CallEvent, EventLog
from ivr.keys import Keys
from ivr.tickets.customers import customer_summary
from ivr.tickets.db import make_engine
from ivr.tickets.models import ticket_id
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore

CallFactory = Callable[..., list[CallEvent]]


async def _pending(redis: aioredis.Redis, keys: Keys) -> int:
    info = await redis.xpending(keys.events_stream(), "tickets")
    return int(info["pending"])


async def test_events_through_the_stream_make_one_ticket(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1")
    log = EventLog(redis=redis, keys=keys)
    await log.append(events[:5])
    await log.append(events[3:])  # carrier retries re-send two steps
    persister = Persister(redis=redis, keys=keys, store=store, consumer="t1", batch_size=4)
    assert await persister.drain() == len(events) + 2
    assert persister.stored == len(events)
    t = await store.get(ticket_id("CA1"))
    assert len(t.events) == len(events)
    assert t.outcome == "answered"
    assert await _pending(redis, keys) == 0


async def test_the_caller_summary_is_in_redis_for_the_next_call(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    t0 = 1_800_000_000.0
    await EventLog(redis=redis, keys=keys).append(
        call_events("CA1", caller="+1001", topic="complaint", agent_id="a7", t0=t0)
    )
    await Persister(redis=redis, keys=keys, store=store, consumer="t1").drain()
    later = await customer_summary(redis, keys=keys, caller="+1001", now=t0 + 3600)
    assert later.repeat_caller
    assert later.calls_last_24h == 1
    assert later.open_complaint
    assert later.last_agent_id == "a7"
    assert later.open_ticket_id == ticket_id("CA1")
    assert later.language == "en-US"
    # The same call asking about itself is no repeat; two days later nobody is.
    same = await customer_summary(redis, keys=keys, caller="+1001", now=t0, current_call_sid="CA1")
    assert not same.repeat_caller
    assert not (
        await customer_summary(redis, keys=keys, caller="+1001", now=t0 + 2 * 86400)
    ).repeat_caller
    new = await customer_summary(redis, keys=keys, caller="+1999")
    assert (new.repeat_caller, new.open_complaint, new.last_agent_id) == (False, False, None)


async def test_a_restarted_consumer_stores_what_it_read_but_never_acknowledged(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1")
    await EventLog(redis=redis, keys=keys).append(events)
    # Read into the pending list, as a process would just before being killed.
    first = Persister(redis=redis, keys=keys, store=store, consumer="host:1")
    await first.ensure_group()
    await redis.xreadgroup("tickets", "host:1", {keys.events_stream(): ">"}, count=100)
    assert await _pending(redis, keys) == len(events)

    again = Persister(redis=redis, keys=keys, store=store, consumer="host:1")
    await again.drain()
    assert len((await store.get("CA1")).events) == len(events)
    assert await _pending(redis, keys) == 0


async def test_another_consumer_claims_a_dead_ones_entries(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1")
    await EventLog(redis=redis, keys=keys).append(events)
    dead = Persister(redis=redis, keys=keys, store=store, consumer="host:dead")
    await dead.ensure_group()
    await redis.xreadgroup("tickets", "host:dead", {keys.events_stream(): ">"}, count=100)
    other = Persister(redis=redis, keys=keys, store=store, consumer="host:2", claim_idle_ms=0)
    await other.drain()
    assert len((await store.get("CA1")).events) == len(events)
    assert await _pending(redis, keys) == 0


async def test_database_down_events_wait_in_the_stream(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1")
    await EventLog(redis=redis, keys=keys).append(events)
    # A store whose database does not answer: nothing listens on port 1.
    down = TicketStore(engine=make_engine("postgresql://postgres@127.0.0.1:1/nowhere"))
    stop = asyncio.Event()
    persister = Persister(redis=redis, keys=keys, store=down, consumer="host:1", block_ms=10)
    await persister.ensure_group()
    task = asyncio.create_task(persister.run(stop))
    while await _pending(redis, keys) < len(events):
        await asyncio.sleep(0.02)
    for _ in range(3):  # let it fail and back off a few times
        await asyncio.sleep(0.05)
    stop.set()
    await task
    await down.close()
    assert persister.stored == 0
    assert await _pending(redis, keys) == len(events)

    # The database is back (the real store): a restart drains everything.
    back = Persister(redis=redis, keys=keys, store=store, consumer="host:1")
    await back.drain()
    assert len((await store.get("CA1")).events) == len(events)
    assert await _pending(redis, keys) == 0


async def test_unreadable_entries_are_parked_not_lost_and_do_not_block(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    stream = keys.events_stream()
    await redis.xadd(stream, {b"event": b"{not json, card 4111 1111 1111 1111"})
    await redis.xadd(stream, {b"other": b"x"})
    await redis.xadd(
        stream,
        {b"event": CallEvent(id="x" * 200, call_sid="CA9", at=1, type="t").model_dump_json()},
    )
    await EventLog(redis=redis, keys=keys).append(call_events("CA1"))
    await Persister(redis=redis, keys=keys, store=store, consumer="t").drain()
    assert (await store.get("CA1")).outcome == "answered"
    dead = await redis.xrange(keys.events_dead_letter())
    assert len(dead) == 3
    assert all(b"4111" not in fields[b"raw"] for _, fields in dead)
    assert await _pending(redis, keys) == 0


async def test_a_summary_lost_after_the_commit_is_written_on_redelivery(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1", caller="+1001", agent_id="a3")
    await store.persist(events)  # committed, then the process died before Redis heard of it
    await EventLog(redis=redis, keys=keys).append(events)
    persister = Persister(redis=redis, keys=keys, store=store, consumer="t")
    await persister.drain()
    assert persister.stored == 0
    assert (await customer_summary(redis, keys=keys, caller="+1001")).last_agent_id == "a3"


async def test_trim_drops_only_acknowledged_entries(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    log = EventLog(redis=redis, keys=keys)
    await log.append(call_events("CA1"))
    persister = Persister(redis=redis, keys=keys, store=store, consumer="t", replay_keep_seconds=0)
    await persister.drain()
    later = call_events("CA2")
    await log.append(later)
    # Read but not yet stored: these must survive the trim.
    await redis.xreadgroup("tickets", "other", {keys.events_stream(): ">"}, count=3)
    await persister.trim()
    assert await redis.xlen(keys.events_stream()) == len(later)
    await Persister(redis=redis, keys=keys, store=store, consumer="other").drain()
    await persister.trim()
    assert await redis.xlen(keys.events_stream()) == 0
    assert len((await store.get("CA2")).events) == len(later)


async def test_trim_keeps_recent_stored_entries_for_the_pages_replay(
    redis: aioredis.Redis, keys: Keys, store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events("CA1")
    await EventLog(redis=redis, keys=keys).append(events)
    persister = Persister(redis=redis, keys=keys, store=store, consumer="t")
    await persister.drain()
    await persister.trim()
    # Stored and acknowledged, yet a browser tab reconnecting now still replays them.
    assert await redis.xlen(keys.events_stream()) == len(events)
