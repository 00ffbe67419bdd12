"""One pending callback per caller number: repeat requests join it, on any server process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from ivr.events import STREAM_FIELD, EventLog
from ivr.keys import Keys
from ivr.routing.callbacks import callback_number, release_callback
from ivr.routing.policy import parse_policy
from ivr.routing.router import Router
from tests.conftest import REDIS_URL
from tests.routing.routing_support import Clock, RouterFactory, agent, call

WORKER = Path(__file__).with_name("callback_worker.py")
NUMBER = "+14155550100"
WITHHELD = ["", "anonymous", "Anonymous", "+266696687", "Restricted", "+7378742833", "UNKNOWN"]


async def _events(redis: aioredis.Redis, keys: Keys) -> list[dict[str, object]]:
    rows = await redis.xrange(keys.events_stream())
    return [json.loads(fields[STREAM_FIELD]) for _, fields in rows]


async def _load(redis: aioredis.Redis, keys: Keys, agent_id: str) -> int:
    return int(await redis.hget(keys.routing("agent", agent_id), "cb_open") or 0)


async def _two_agents(make_router: RouterFactory) -> Router:
    router = await make_router()
    await router.add_agent(agent("strong", {"card_services": 5}))
    await router.add_agent(agent("junior", {"card_services": 2}))
    return router


@pytest.mark.parametrize(
    ("caller", "counted"),
    [
        ("+14155550100", "+14155550100"),
        (" +1 415 555 0100 ", "+14155550100"),
        ("client:alice", "client:alice"),
        ("sip:anonymous@anonymous.invalid", None),
        *[(w, None) for w in WITHHELD],
    ],
)
def test_the_number_callbacks_are_counted_by(caller: str, counted: str | None) -> None:
    assert callback_number(caller) == counted


async def test_the_same_number_twice_gets_the_same_callback(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await _two_agents(make_router)
    first = await router.request_callback(call("CA1", clock, caller=NUMBER))
    clock.advance(3600)
    again = await router.request_callback(call("CA2", clock, caller=NUMBER))
    assert (again.id, again.due_at, again.agent_id) == (first.id, first.due_at, first.agent_id)
    assert (first.joined, again.joined) == (False, True)
    assert again.call_sid == "CA1"  # the call that booked it
    assert await _load(redis, keys, "strong") + await _load(redis, keys, "junior") == 1
    assert await redis.zcard(keys.routing("callbacks")) == 1
    events = [e for e in await _events(redis, keys) if str(e["type"]).startswith("callback.")]
    assert [(e["call_sid"], e["type"]) for e in events] == [
        ("CA1", "callback.requested"),
        ("CA2", "callback.joined"),
    ]
    joined = events[1]["data"]
    assert isinstance(joined, dict)
    assert joined["callback_id"] == first.id and joined["booked_call_sid"] == "CA1"
    # a carrier retry of either call gets the same answer, and no new event
    assert (await router.request_callback(call("CA1", clock, caller=NUMBER))).id == first.id
    assert (await router.request_callback(call("CA2", clock, caller=NUMBER))).id == first.id
    assert len(await _events(redis, keys)) == len(events) + 1  # CA2's retry joins again


async def test_different_numbers_get_their_own_callbacks(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await _two_agents(make_router)
    a = await router.request_callback(call("CA1", clock, caller="+14155550100"))
    b = await router.request_callback(call("CA2", clock, caller="+14155550101"))
    assert a.id != b.id and not b.joined


@pytest.mark.parametrize("withheld", WITHHELD)
async def test_withheld_numbers_are_never_joined(
    make_router: RouterFactory, clock: Clock, withheld: str
) -> None:
    router = await _two_agents(make_router)
    a = await router.request_callback(call("CA1", clock, caller=withheld))
    b = await router.request_callback(call("CA2", clock, caller=withheld))
    assert a.id != b.id and not a.joined and not b.joined


async def test_a_completed_callback_frees_the_number(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await _two_agents(make_router)
    first = await router.request_callback(call("CA1", clock, caller=NUMBER))
    # another callback's completion leaves the number's record alone
    assert not await release_callback(redis, keys=keys, callback_id="cb_other", number=NUMBER)
    assert (await router.request_callback(call("CA2", clock, caller=NUMBER))).joined
    assert await release_callback(redis, keys=keys, callback_id=first.id, number=NUMBER)
    assert await redis.zcard(keys.routing("callbacks")) == 0
    fresh = await router.request_callback(call("CA3", clock, caller=NUMBER))
    assert fresh.id != first.id and not fresh.joined and fresh.call_sid == "CA3"


async def test_past_its_due_time_and_the_grace_a_callback_is_no_longer_joined(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await _two_agents(make_router)
    grace = router.policy.callbacks.repeat_grace_hours * 3600
    assert grace == 2 * 3600  # the documented default
    first = await router.request_callback(call("CA1", clock, caller=NUMBER))
    clock.now = first.due_at + grace - 1  # overdue, within the grace: still the promise
    assert (await router.request_callback(call("CA2", clock, caller=NUMBER))).id == first.id
    clock.now = first.due_at + grace + 1  # the promise was missed: a fresh one
    fresh = await router.request_callback(call("CA3", clock, caller=NUMBER))
    assert fresh.id != first.id and not fresh.joined
    clock.advance(60)
    assert (await router.request_callback(call("CA4", clock, caller=NUMBER))).id == fresh.id


async def test_two_webhooks_of_one_number_racing_book_one_callback(
    redis: aioredis.Redis, keys: Keys, clock: Clock
) -> None:
    """Two server processes (two clients, two routers) at once, in one event loop."""
    policy = parse_policy({}, source="test")
    clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
    try:
        routers = [
            Router(redis=c, keys=keys, policy=policy, events=EventLog(redis=c, keys=keys))
            for c in clients
        ]
        await routers[0].start()
        await routers[0].add_agent(agent("a", {"card_services": 3}))
        await routers[1].start()
        booked = await asyncio.gather(
            *(
                r.request_callback(call(f"CA{n}{i}", clock, caller=NUMBER))
                for i in range(10)
                for n, r in enumerate(routers)
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    assert len({b.id for b in booked}) == 1
    assert sum(not b.joined for b in booked) == 1
    assert await _load(redis, keys, "a") == 1
    kinds = [e["type"] for e in await _events(redis, keys) if e["type"] != "routing.decided"]
    assert sorted(kinds) == ["callback.joined"] * 19 + ["callback.requested"]


async def test_many_numbers_from_processes_racing_get_one_callback_each(
    make_router: RouterFactory, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router()
    for i in range(4):
        await router.add_agent(agent(f"ag{i}", {"card_services": 1 + i}))
    numbers, processes = 40, 3
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), REDIS_URL, keys.prefix, str(p), str(numbers)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for p in range(processes)
    ]
    await redis.rpush(keys.routing("test", "go"), *["go"] * processes)
    rows = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        rows += [json.loads(line) for line in out.splitlines()]
    assert len(rows) == numbers * processes
    per_number: dict[str, set[tuple[str, float, str | None]]] = defaultdict(set)
    for r in rows:
        per_number[r["number"]].add((r["id"], r["due_at"], r["agent"]))
    assert len(per_number) == numbers
    assert all(len(answers) == 1 for answers in per_number.values())
    assert sum(not r["joined"] for r in rows) == numbers
    assert await redis.zcard(keys.routing("callbacks")) == numbers
    loads = [await _load(redis, keys, f"ag{i}") for i in range(4)]
    assert sum(loads) == numbers


async def test_a_completed_callback_no_longer_weighs_on_its_agent(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await _two_agents(make_router)
    first = await router.request_callback(call("CA1", clock, caller=NUMBER))
    assert first.agent_id is not None
    assert await _load(redis, keys, first.agent_id) == 1
    await release_callback(redis, keys=keys, callback_id=first.id, number=NUMBER)
    assert await _load(redis, keys, first.agent_id) == 0
    # reported done twice (the API, then the CLI): the load drops once
    await release_callback(redis, keys=keys, callback_id=first.id, number=NUMBER)
    second = await router.request_callback(call("CA2", clock, caller="+14155550101"))
    assert second.agent_id is not None
    third = await router.request_callback(call("CA3", clock, caller="+14155550102"))
    assert third.agent_id is not None
    loads = {a: await _load(redis, keys, a) for a in ("strong", "junior")}
    assert sum(loads.values()) == 2  # the two open ones, not the completed one
    # the balance sees the freed slot: the agent of the completed callback took the next
    assert second.agent_id == first.agent_id
