"""Routing decisions per second and p99 latency: candidate pools vs a naive scan.

10,000 agents, 30 skills, 2 languages in a real Redis (IVR_BENCH_REDIS_URL, default
127.0.0.1:6379) under a private key prefix that is deleted afterwards. Both sides
are one atomic Lua script that chooses the best available agent by the queue's
strategy and reserves it; the baseline reads every agent, ours reads the heads
of a few sorted sets. After each decision the agent is made available again
(not timed), so every decision sees the same roster.

Run by hand: .venv/bin/python bench/routing.py
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import statistics
import sys
import time
import uuid
from importlib import resources

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from ivr.config import PROJECT_DIR
from ivr.events import EventLog
from ivr.ids import Emotion, Language, Topic
from ivr.keys import Keys
from ivr.routing.index import AgentIndex
from ivr.routing.models import Agent, RoutingRequest
from ivr.routing.policy import STRATEGIES, load_policy
from ivr.routing.router import Router
from ivr.routing.scoring import agent_pools, pool_id

AGENTS = 10_000
SKILLS = [f"skill{i:02d}" for i in range(30)]
LANGUAGES = ["en-US", "zh-CN"]
DECISIONS = 3_000
SCAN_DECISIONS = 40  # each blocks the shared Redis for ~0.1 s
CONCURRENCY = 32
ROUTER_DECISIONS = 1_000

SCAN_BODY = """
-- The naive baseline: look at every agent. ARGV[4]: call sid, ARGV[5..]: wanted pools.
local wanted = {}
for i = 5, #ARGV do wanted[ARGV[i]] = true end
local lw, ldw = policy_number('level', 1), policy_number('load', 1)
local best, best_score = nil, nil
for _, id in ipairs(redis.call('SMEMBERS', base .. 'agents')) do
  local f = redis.call('HMGET', akey(id), 'state', 'pools', 'calls', 'talk', 'since', 'seq')
  if f[1] == 'available' then
    for pool in string.gmatch(f[2], '%S+') do
      if wanted[pool] then
        local skill, level = string.match(pool, '^([^:]+):[^:]+:(%d)')
        local sc = score(strategy_of(skill), tonumber(level), tonumber(f[3]), tonumber(f[4]),
          tonumber(f[5]), tonumber(f[6]), lw, ldw)
        if not best_score or sc < best_score then best, best_score = id, sc end
      end
    end
  end
end
if best then
  change_state(best, 'busy')
  redis.call('HSET', akey(best), 'call', ARGV[4])
end
return best
"""


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _populate(index: AgentIndex, rng: random.Random) -> None:
    await index.configure(
        strategies={s: STRATEGIES[i % len(STRATEGIES)] for i, s in enumerate(SKILLS)},
        default_strategy="balanced",
        level_weight=1.0,
        load_weight=1.0,
        wrap_up_seconds=0.0,
    )
    batch = []
    for i in range(AGENTS):
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(2, 5))}
        languages = rng.sample(LANGUAGES, rng.choice((1, 1, 2)))
        traits = ["de_escalation"] if rng.random() < 0.1 else []
        pools = agent_pools(skills, languages, traits)
        rosters = [f"{s}:{lang}" for s in skills for lang in languages]
        cbs = [f"{s}:{lang}:{lv}" for s, lv in skills.items() for lang in languages]
        batch.append(
            index.put(
                f"ag{i:05d}",
                doc="{}",
                pools=pools,
                rosters=rosters,
                callback_rosters=cbs,
                mode="create",
            )
        )
        if len(batch) == CONCURRENCY:
            await asyncio.gather(*batch)
            batch = []
    await asyncio.gather(*batch)


def _request(rng: random.Random) -> list[str]:
    skill, lang = rng.choice(SKILLS), rng.choice(LANGUAGES)
    low = rng.randint(1, 3)
    pools = [pool_id(skill, lang, level) for level in range(low, 6)]
    if rng.random() < 0.2:  # an upset caller: level 4+ or the trait
        pools = [pool_id(skill, lang, lv) for lv in (4, 5)]
        pools += [pool_id(skill, lang, lv, "de_escalation") for lv in range(low, 4)]
    return pools


async def _decide_indexed(index: AgentIndex, n: int, pools: list[str]) -> tuple[float, str | None]:
    start = time.perf_counter()
    outcome = await index.route(
        mode="route",
        call_sid=f"CA{n}",
        queue="bench",
        queue_score=float(n),
        request_json="{}",
        priority=0,
        pools=pools,
    )
    elapsed = time.perf_counter() - start
    return elapsed, outcome.agent_id


async def _free(index: AgentIndex, redis: aioredis.Redis, n: int, agent: str | None) -> None:
    """Untimed: the agent is available again and the caller leaves the bench queue."""
    if agent:
        await index.set_state(agent, "available")
    await index.abandon(f"CA{n}")
    await redis.delete(index.key("call", f"CA{n}"))


async def _run_indexed(
    index: AgentIndex, redis: aioredis.Redis, rng: random.Random, count: int, offset: int
) -> tuple[list[float], list[float]]:
    """Decision latencies, and PING latencies taken between them (the machine's noise)."""
    latencies, pings = [], []
    for n in range(offset, offset + count):
        elapsed, agent = await _decide_indexed(index, n, _request(rng))
        latencies.append(elapsed)
        await _free(index, redis, n, agent)
        start = time.perf_counter()
        await redis.ping()
        pings.append(time.perf_counter() - start)
    return latencies, pings


async def _run_scan(
    scan: AsyncScript, index: AgentIndex, redis: aioredis.Redis, rng: random.Random, count: int
) -> list[float]:
    latencies = []
    for n in range(count):
        pools = _request(rng)
        start = time.perf_counter()
        agent = await scan(args=[index.key(""), repr(time.time()), 0, f"SC{n}", *pools])
        latencies.append(time.perf_counter() - start)
        if agent:
            await index.set_state(agent.decode(), "available")
    return latencies


async def _concurrent_throughput(
    index: AgentIndex, redis: aioredis.Redis, rng: random.Random
) -> float:
    """Decisions per second with CONCURRENCY callers in flight (agents freed as they go)."""
    counter = iter(range(10_000_000, 10_000_000 + DECISIONS))

    async def worker() -> None:
        for n in counter:
            _, agent = await _decide_indexed(index, n, _request(rng))
            await _free(index, redis, n, agent)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    # each decision is followed by two untimed commands, so this undercounts the decisions alone
    return DECISIONS / (time.perf_counter() - start)


async def _server_side(
    index: AgentIndex, redis: aioredis.Redis, rng: random.Random, count: int
) -> list[float]:
    """Seconds each decision takes inside Redis: the route script timed by Redis' own clock."""
    folder = resources.files("ivr.routing") / "lua"
    body = (folder / "route.lua").read_text("utf-8")
    timed = redis.register_script(
        (folder / "common.lua").read_text("utf-8")
        + "\nlocal function decide()\n"
        + body
        + "\nend\nlocal t0 = redis.call('TIME')\nlocal reply = decide()\n"
        + "local t1 = redis.call('TIME')\n"
        + "return {reply[1], reply[2] or '', (t1[1] - t0[1]) * 1000000 + (t1[2] - t0[2])}\n"
    )
    base, day = index.key(""), int(time.time() // 86400)
    out = []
    for n in range(count):
        sid = f"SV{n}"
        args: list[str | int | float] = [base, repr(time.time()), day, "route", sid, "bench"]
        args += [float(n), "{}", 0, "", "0", 4, 3600, *_request(rng)]
        kind, agent, micros = await timed(args=args)
        out.append(int(micros) / 1e6)
        await _free(index, redis, 0, agent.decode() if kind == b"connect" else None)
        await index.abandon(sid)
        await redis.delete(index.key("call", sid))
    return out


async def _router_end_to_end(redis: aioredis.Redis, rng: random.Random) -> list[float]:
    """Router.route as the flow engine calls it: policy, pools, reservation, the event."""
    keys = Keys(prefix=f"ivr-bench:{uuid.uuid4().hex[:8]}:")
    policy = load_policy(PROJECT_DIR / "routing" / "policy.yaml")
    router = Router(redis=redis, keys=keys, policy=policy, events=EventLog(redis=redis, keys=keys))
    try:
        topics, langs = list(Topic), list(Language)
        for start in range(0, AGENTS, CONCURRENCY):
            batch = []
            for i in range(start, min(AGENTS, start + CONCURRENCY)):
                skills = {t: rng.randint(1, 5) for t in rng.sample(topics, rng.randint(2, 5))}
                agent = Agent(
                    id=f"ag{i:05d}",
                    name="Agent",
                    endpoint="client",
                    languages=rng.sample(langs, rng.choice((1, 1, 2))),
                    skills=skills,
                    traits=["de_escalation"] if rng.random() < 0.1 else [],
                )
                batch.append(router.add_agent(agent))
            await asyncio.gather(*batch)
        out = []
        emotions = [Emotion.NEUTRAL] * 6 + [Emotion.ANGRY, Emotion.ANXIOUS, Emotion.SAD]
        for n in range(ROUTER_DECISIONS):
            request = RoutingRequest(
                call_sid=f"CA{n}",
                caller=f"+1555{n:07d}",
                language=rng.choice(langs),
                topic=rng.choice(topics),
                emotion=rng.choice(emotions),
                entered_at=time.time(),
            )
            began = time.perf_counter()
            decision = await router.route(request)
            out.append(time.perf_counter() - began)
            if decision.agent is not None:
                await router.dial_result(request.call_sid, decision.agent.id, "completed")
                await router.set_status(decision.agent.id, "available")
            else:
                await router.abandon(request.call_sid)
        return out
    finally:
        await _drop(redis, keys)


async def _drop(redis: aioredis.Redis, keys: Keys) -> None:
    cursor = 0
    while True:
        cursor, found = await redis.scan(cursor, match=keys.prefix + "*", count=5000)
        if found:
            await redis.delete(*found)
        if cursor == 0:
            break


async def main() -> None:
    """Populate, measure both sides in the same run, print the figures and the ratios."""
    url = os.environ.get("IVR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    pool = aioredis.BlockingConnectionPool.from_url(url, max_connections=CONCURRENCY + 4)
    redis: aioredis.Redis = aioredis.Redis(connection_pool=pool)
    keys = Keys(prefix=f"ivr-bench:{uuid.uuid4().hex[:8]}:")
    index = AgentIndex(redis=redis, keys=keys)
    folder = resources.files("ivr.routing") / "lua"
    scan = redis.register_script((folder / "common.lua").read_text("utf-8") + SCAN_BODY)
    rng = random.Random(5)
    try:
        t0 = time.perf_counter()
        await _populate(index, rng)
        print(
            f"roster: {AGENTS} agents, {len(SKILLS)} skills, {len(LANGUAGES)} languages "
            f"(loaded in {time.perf_counter() - t0:.1f}s)"
        )
        gc.collect()
        gc.freeze()  # the roster's objects are done: keep collector pauses out of the tail
        await _run_indexed(index, redis, rng, 200, 0)  # warm-up
        ours, ping = await _run_indexed(index, redis, rng, DECISIONS, 1_000)
        inside = await _server_side(index, redis, rng, DECISIONS)
        naive = await _run_scan(scan, index, redis, rng, SCAN_DECISIONS)
        burst = await _concurrent_throughput(index, redis, rng)
        await _drop(redis, keys)
        whole = await _router_end_to_end(redis, rng)
    finally:
        await _drop(redis, keys)
        await redis.aclose()
    ours_rate, naive_rate = len(ours) / sum(ours), len(naive) / sum(naive)
    ours_p99, naive_p99 = _pct(ours, 0.99), _pct(naive, 0.99)
    for name, rate, lat in (("pools", ours_rate, ours), ("naive scan", naive_rate, naive)):
        print(
            f"{name:<11} {rate:9.0f} decisions/s   p50 {statistics.median(lat) * 1e3:7.3f} ms"
            f"   p95 {_pct(lat, 0.95) * 1e3:7.3f} ms   p99 {_pct(lat, 0.99) * 1e3:7.3f} ms"
            f"   ({len(lat)} decisions)"
        )
    print(
        f"PING floor  p50 {statistics.median(ping) * 1e3:7.3f} ms"
        f"   p95 {_pct(ping, 0.95) * 1e3:7.3f} ms   p99 {_pct(ping, 0.99) * 1e3:7.3f} ms"
        "   (between the decisions)"
    )
    print(
        f"inside Redis (route script, Redis' clock): p50 {statistics.median(inside) * 1e6:.0f} us"
        f"   p99 {_pct(inside, 0.99) * 1e6:.0f} us"
    )
    print(
        f"pools with {CONCURRENCY} in flight: {burst:.0f} decisions/s (plus two untimed frees each)"
    )
    print(
        f"Router.route end to end (9 topics, emotions, event appended): p50 "
        f"{statistics.median(whole) * 1e3:.3f} ms   p99 {_pct(whole, 0.99) * 1e3:.3f} ms"
        f"   ({len(whole)} calls, {AGENTS} agents)"
    )
    print(
        f"ratio: {ours_rate / naive_rate:.1f}x decisions/s, {naive_p99 / ours_p99:.1f}x lower p99"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    ok = ours_p99 < 0.002 and ours_rate >= 20 * naive_rate
    print("target (p99 < 2 ms and >= 20x the scan):", "met" if ok else "NOT met")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    asyncio.run(main())
