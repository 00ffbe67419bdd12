"""Two server processes, 200 simultaneous calls, 50 agents: nobody double-booked or lost."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import redis.asyncio as aioredis

from ivr.ids import AgentState
from ivr.keys import Keys
from tests.routing.routing_support import Clock, RouterFactory, agent

REDIS_URL = "redis://127.0.0.1:6379/0"
WORKER = Path(__file__).with_name("routing_worker.py")
PROCESSES = 4
CALLS = 200
AGENTS = 50


async def _together(
    redis: aioredis.Redis, keys: Keys, jobs: list[list[str]]
) -> list[dict[str, str]]:
    """Start one worker process per job, release them at once, collect their decisions."""
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), REDIS_URL, keys.prefix, *job],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for job in jobs
    ]
    # every process connects and blocks on the signal: release them together
    await redis.rpush(keys.routing("test", "go"), *["go"] * len(jobs))
    rows = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        rows += [json.loads(line) for line in out.splitlines()]
    return rows


async def test_two_hundred_calls_fifty_agents_across_processes(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router(policy=None, queues={})
    for i in range(AGENTS):
        await router.add_agent(agent(f"ag{i:02d}", {"card_services": 1 + i % 5}))
    per = CALLS // PROCESSES
    rows = await _together(redis, keys, [[str(p * per), str(per)] for p in range(PROCESSES)])

    assert sorted(r["call_sid"] for r in rows) == [f"CA{i:04d}" for i in range(CALLS)]
    connected = [r for r in rows if r["kind"] == "connect"]
    queued = [r for r in rows if r["kind"] == "queue"]
    assert len(connected) + len(queued) == CALLS  # every caller connected or queued
    per_agent = Counter(r["agent"] for r in connected)
    assert max(per_agent.values()) == 1  # no agent has two calls
    assert len(connected) == AGENTS  # and no agent was left idle while callers waited
    waiting = await redis.zrange(keys.routing("waiting", "card_services.en-US"), 0, -1)
    assert sorted(w.decode() for w in waiting) == sorted(r["call_sid"] for r in queued)
    for view in await router.list_agents():
        assert view.status.state is AgentState.BUSY
        assert view.status.call_sid == next(
            r["call_sid"] for r in connected if r["agent"] == view.agent.id
        )

    # the calls end; every agent is free again while 150 callers wait, and two processes
    # tick and poll at once: each agent goes to one caller, the longest waiting first
    for r in connected:
        await router.dial_result(r["call_sid"], r["agent"], "completed", talk_seconds=30)
        await router.set_status(r["agent"], AgentState.AVAILABLE)
    served = await _together(redis, keys, [["serve"], ["serve"]])
    chosen: dict[str, str] = {}
    for r in served:
        if r["kind"] == "connect":
            assert chosen.setdefault(r["call_sid"], r["agent"]) == r["agent"]
    assert len(chosen) == AGENTS
    assert len(set(chosen.values())) == AGENTS  # no agent given two waiting callers
    first_waiting = sorted(r["call_sid"] for r in queued)[:AGENTS]  # entered first
    assert sorted(chosen) == first_waiting
