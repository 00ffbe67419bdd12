"""A server killed during calls while another carries on: nobody dropped, nothing lost.

Two `ivr serve` processes, each a web process with its persister as one machine of
docs/deploy.md, share Redis (one key prefix) and PostgreSQL behind one public URL.
The carrier reaches them through the proxy of deploy/nginx.conf (`FailsOver`): each
webhook to the next machine in turn, and one that fails there to the other.

Callers keep ringing, several at once. One machine is frozen (SIGSTOP) for an
instant, again and again, until it is inside a webhook (the call's lock taken, its
new state not yet written) and its persister holds events it took and has not
acknowledged; then every process of it is SIGKILLed. A kill at a random moment
would only sometimes land there; this one always does.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import os
import re
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from ivr.keys import Keys
from ivr.simulator import verbs
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord
from ivr.simulator.script import AgentAnswers, AgentStep, Press, ScriptStep
from ivr.tickets.persister import GROUP
from tests.faults.audit import dead_air, missing_events, stream_events
from tests.faults.carrier import FailsOver, GivesUp
from tests.servers import RunningService, start_service, still_running

PUBLIC = "http://hotline.test"
TOKEN = "killed-server-token-0123456789ab"
ADMIN = {"Authorization": "Bearer killed-server-admin"}
LINES = 12  # callers on the line at once
CALLS_PER_LINE = 40  # a bound: the kill comes long before
AGENTS = 5
WAIT_ROUNDS = 3  # a queued caller hangs up after this many rounds of the wait loop
IDENTITY = re.compile(r"<Identity>([^<]+)</Identity>")


class AccountsCaller:
    """English, then accounts (3); rates the agent 5, or waits a few rounds and hangs up.

    Says nothing to the queue's callback offer.
    """

    def __init__(self) -> None:
        self.gathers = 0

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        """1 for English, 3 at the main menu, 5 for the survey; silence in the queue."""
        self.gathers += 1
        if "/twilio/queue/" in gather.action:
            return None
        return Press({1: "1", 2: "3"}.get(self.gathers, "5"))

    async def at_record(self, record: verbs.Record) -> ScriptStep | None:
        """Nothing to record on this call."""
        return None

    async def at_dial(self, dial: verbs.Dial) -> AgentStep | None:
        """The agent answers and talks for half a (simulated) minute."""
        return AgentAnswers(seconds=30)

    async def after_wait_round(self, round_number: int) -> bool:
        """Hang up after WAIT_ROUNDS rounds (the agents are all in wrap-up by then)."""
        return round_number >= WAIT_ROUNDS

    def remaining(self) -> list[ScriptStep]:
        """No script: nothing left over."""
        return []


def _signal(pids: dict[int, str], sig: signal.Signals) -> None:
    for pid in still_running(pids):
        with contextlib.suppress(OSError):
            os.kill(pid, sig)


@pytest.fixture
def machines(
    tmp_path: Path, config_dir: Path, model_cache: Path, redis_prefix: str, pg_url: str
) -> Iterator[list[RunningService]]:
    """Two `ivr serve` (each with its persister) on one Redis prefix and one PostgreSQL."""
    # An agent takes one call in this test: wrap-up outlasts it, so "nobody on two calls"
    # can be read straight from who was dialled.
    policy = config_dir / "routing" / "policy.yaml"
    policy.write_text(
        re.sub(r"(?m)^wrap_up_seconds: \d+", "wrap_up_seconds: 3600", policy.read_text())
    )
    shared = {
        "public_url": PUBLIC,
        "twilio_auth_token": TOKEN,
        "admin_token": ADMIN["Authorization"].removeprefix("Bearer "),
        "redis_prefix": redis_prefix,
        "database_url": pg_url,
        "config_dir": str(config_dir),
        "cache_dir": str(model_cache),
        "in_process_worker": "false",  # no recordings here; docs/deploy.md's web shape
        # The survivor's persister takes over what the dead one held after a second of
        # silence from it, not the default half minute, to keep the test short.
        "persister_claim_idle_seconds": "1",
    }
    started: list[RunningService] = []
    pids: dict[int, str] = {}
    try:
        for name in ("a", "b"):
            started.append(start_service(tmp_path / name, **shared))
            pids |= started[-1].processes()
        yield started
    finally:
        _signal(pids, signal.SIGCONT)  # a failure may have left one frozen
        for service in started:
            service.stop()
        _signal(pids, signal.SIGKILL)  # persisters are outside `ivr serve`'s process group


async def _eventually(
    check: Callable[[], bool | Awaitable[bool]], what: str, within: float = 30.0
) -> None:
    """Wait until `check` holds; AssertionError naming `what` after `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        held = check()
        if await held if inspect.isawaitable(held) else held:
            return
        if loop.time() > deadline:
            raise AssertionError(f"not within {within:g}s: {what}")
        await asyncio.sleep(0.05)


async def _kill_between_writes(
    machine: RunningService, proxy: FailsOver, redis: aioredis.Redis, keys: Keys
) -> tuple[list[bytes], list[str]]:
    """SIGKILL every process of `machine` inside a webhook and a persister batch.

    Returns the stream entries its persister held then and the calls whose webhook
    it had begun (their lock taken) and not finished.
    """
    processes = machine.processes()
    [persister] = [pid for pid, argv in processes.items() if "ivr persister" in argv]
    consumer = f"{socket.gethostname()}:{persister}"  # ivr.tickets.persister.default_consumer
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30  # a few tenths of a second, unless the machine is crawling
    while True:
        _signal(processes, signal.SIGSTOP)
        await asyncio.sleep(0.05)  # what it sent Redis before it stopped has landed
        held = await redis.xpending_range(
            keys.events_stream(), GROUP, "-", "+", 10_000, consumername=consumer
        )
        calls = proxy.calls_at(machine.url)
        locks = [await redis.exists(keys.call_lock(sid)) for sid in calls]
        midway = [sid for sid, lock in zip(calls, locks, strict=True) if lock]
        if held and midway:
            break
        _signal(processes, signal.SIGCONT)
        if loop.time() > deadline:
            raise AssertionError("the machine never held a batch and a webhook at once")
        await asyncio.sleep(0.03)
    _signal(processes, signal.SIGKILL)
    machine.process.wait(timeout=10)
    await _eventually(lambda: not still_running(processes), "the machine's processes gone")
    return [entry["message_id"] for entry in held], midway


async def _keep_ringing(carrier: Carrier, stop: asyncio.Event) -> list[CallRecord]:
    """LINES callers at once, each calling again when done, until `stop`; every call made."""
    numbers = itertools.count()

    async def line() -> list[CallRecord]:
        made: list[CallRecord] = []
        while not stop.is_set() and len(made) < CALLS_PER_LINE:
            caller = f"+1415555{next(numbers):04d}"  # one ticket per caller number
            made.append(await carrier.place_call(caller=caller, caller_input=AccountsCaller()))
        return made

    lines = await asyncio.gather(*(line() for _ in range(LINES)))
    return [record for made in lines for record in made]


async def _add_agents(api: httpx.AsyncClient) -> None:
    for n in range(AGENTS):
        agent = {
            "id": f"agent{n}",
            "name": f"Agent {n}",
            "endpoint": "client",
            "languages": ["en-US"],
            "skills": {"account_inquiry": 3},
        }
        made = await api.post("/api/agents", json=agent)
        assert made.status_code == 201, made.text
        ready = await api.put(f"/api/agents/agent{n}/status", json={"status": "available"})
        assert ready.status_code == 200, ready.text


def _dialled(record: CallRecord) -> set[str]:
    return {m for r in record.requests for m in IDENTITY.findall(r.body)}


@pytest.mark.slow
@pytest.mark.postgres
async def test_a_server_killed_during_calls_loses_no_caller_and_no_event(
    machines: list[RunningService], redis: aioredis.Redis, keys: Keys
) -> None:
    victim, survivor = machines
    proxy = FailsOver([victim.url, survivor.url])
    api = httpx.AsyncClient(base_url=survivor.url, headers=ADMIN, timeout=30)
    carrier = Carrier(base_url=PUBLIC, auth_token=TOKEN, transport=GivesUp(proxy))
    stop = asyncio.Event()
    await _add_agents(api)
    ringing = asyncio.create_task(_keep_ringing(carrier, stop))
    try:
        held, midway = await _kill_between_writes(victim, proxy, redis, keys)
        stop.set()
        records = await ringing

        # Every webhook was answered with TwiML by someone: those the dead machine
        # refused or was cut off in by the survivor, once passed on.
        assert {r.upstream for r in proxy.retried} == {victim.url}
        assert {r.call_sid for r in proxy.retried} >= set(midway)
        assert [(r.call_sid, r.errors) for r in records if r.errors] == []
        assert dead_air(records) == []
        assert {r.ended_by for r in records} <= {"caller", "service"}

        # Nobody on two calls, nobody left holding an agent or waiting in a queue.
        dialled = [agent for r in records for agent in _dialled(r)]
        assert all(len(_dialled(r)) <= 1 for r in records)
        assert len(dialled) == len(set(dialled)), f"an agent was given two callers: {dialled}"
        agents = (await api.get("/api/agents")).json()
        assert [a["agent"]["id"] for a in agents if a["status"]["state"] == "busy"] == []
        assert (await api.get("/api/queues")).json() == []
        # No call's lock is left behind: the one the dead machine held was taken over by
        # the retry and let go (ivr.calls.store).
        locked = [r.call_sid for r in records if await redis.exists(keys.call_lock(r.call_sid))]
        assert locked == []

        # What the dead persister held is claimed by the survivor's and stored: nothing
        # stays pending or is parked, and every event written is in its call's one ticket.
        assert held

        async def all_acknowledged() -> bool:
            return (await redis.xpending(keys.events_stream(), GROUP))["pending"] == 0

        await _eventually(all_acknowledged, "every event acknowledged")
        assert await redis.xlen(keys.events_dead_letter()) == 0
        written = await stream_events(redis, keys)
        assert await missing_events(api, records, written=written) == []
    finally:
        # Let the callers hang up rather than cancel them mid-request: a connection
        # cancelled while opening is left to the garbage collector, a warning (an error
        # here) in whichever test runs next.
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(ringing), 60)
        ringing.cancel()
        await asyncio.gather(ringing, return_exceptions=True)
        await api.aclose()
        await proxy.shut()
