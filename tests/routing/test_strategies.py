"""Each strategy's choice on small rosters, against real Redis."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis.asyncio as aioredis

from ivr.events import EventLog
from ivr.ids import AgentState
from ivr.keys import Keys
from ivr.routing.models import DecisionKind
from ivr.routing.router import Router
from tests.routing.routing_support import Clock, RouterFactory, agent, call, small_policy


async def _serve_call(router: Router, sid: str, clock: Clock, talk: float = 60.0) -> str:
    """Route one call, let it finish with `talk` seconds, end wrap-up; returns the agent."""
    decision = await router.route(call(sid, clock))
    assert decision.kind is DecisionKind.CONNECT and decision.agent is not None
    await router.dial_result(sid, decision.agent.id, "completed", talk_seconds=talk)
    await router.set_status(decision.agent.id, AgentState.AVAILABLE)
    return decision.agent.id


def _with_strategy(strategy: str) -> dict[str, object]:
    return {"queues": {"card_services": {"skill": "card_services", "strategy": strategy}}}


async def test_balanced_weighs_level_against_calls_today(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router(**_with_strategy("balanced"))
    await router.add_agent(agent("strong", {"card_services": 5}))
    await router.add_agent(agent("junior", {"card_services": 2}))
    picks = []
    for i in range(5):
        clock.advance(1)
        picks.append(await _serve_call(router, f"CA{i}", clock))
    # strong scores 0-5=-5, junior 0-2=-2: strong carries three calls before junior ties
    assert picks[:3] == ["strong", "strong", "strong"]
    assert picks.count("junior") >= 1
    views = {v.agent.id: v.status for v in await router.list_agents()}
    assert views["strong"].calls_today + views["junior"].calls_today == 5


async def test_longest_idle_takes_who_waited_longest(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router(**_with_strategy("longest_idle"))
    for ident in ("a", "b", "c"):
        await router.add_agent(agent(ident, {"card_services": 3}))
        clock.advance(5)
    assert await _serve_call(router, "CA1", clock) == "a"
    clock.advance(5)
    assert await _serve_call(router, "CA2", clock) == "b"
    clock.advance(5)
    assert await _serve_call(router, "CA3", clock) == "c"
    clock.advance(5)
    assert await _serve_call(router, "CA4", clock) == "a"


async def test_round_robin_cycles(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router(**_with_strategy("round_robin"))
    for ident in ("a", "b", "c"):
        await router.add_agent(agent(ident, {"card_services": 3}))
    picks = [await _serve_call(router, f"CA{i}", clock) for i in range(6)]
    assert picks[:3] == picks[3:]
    assert sorted(picks[:3]) == ["a", "b", "c"]


async def test_fewest_calls(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router(**_with_strategy("fewest_calls"))
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.add_agent(agent("b", {"card_services": 1}))
    first = await _serve_call(router, "CA1", clock)
    second = await _serve_call(router, "CA2", clock)
    assert {first, second} == {"a", "b"}  # the one who took none is next, whatever the level


async def test_least_talk_time(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router(**_with_strategy("least_talk_time"))
    await router.add_agent(agent("a", {"card_services": 3}))
    clock.advance(1)
    await router.add_agent(agent("b", {"card_services": 3}))
    assert await _serve_call(router, "CA1", clock, talk=600) == "a"
    assert await _serve_call(router, "CA2", clock, talk=30) == "b"
    assert await _serve_call(router, "CA3", clock, talk=30) == "b"  # 60 s talked < 600 s


async def test_skill_first_prefers_the_highest_level(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router(**_with_strategy("skill_first"))
    await router.add_agent(agent("mid", {"card_services": 3}))
    await router.add_agent(agent("top", {"card_services": 5}))
    await router.add_agent(agent("low", {"card_services": 1}))
    assert await _serve_call(router, "CA1", clock) == "top"
    assert await _serve_call(router, "CA2", clock) == "top"
    await router.set_status("top", AgentState.AWAY)
    assert await _serve_call(router, "CA3", clock) == "mid"


async def test_decision_explains_candidates(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router(**_with_strategy("skill_first"))
    await router.add_agent(agent("mid", {"card_services": 3}))
    await router.add_agent(agent("top", {"card_services": 5}))
    decision = await router.route(call("CA1", clock))
    assert decision.strategy == "skill_first"
    assert [c.agent_id for c in decision.candidates] == ["top", "mid"]
    assert "card_services level 5" in decision.candidates[0].reasons
    # Reasons a person reads: the rank in words, never the raw score.
    best = "ranked 1 of 2 by highest skill level, then longest idle"
    assert best in decision.candidates[0].reasons
    assert not any("score" in r for c in decision.candidates for r in c.reasons)
    assert decision.reason.startswith("first by highest skill level")


async def test_a_new_day_starts_every_agent_at_zero(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router(**_with_strategy("fewest_calls"))
    await router.add_agent(agent("a", {"card_services": 3}))
    await router.tick()
    for i in range(3):
        clock.advance(1)
        assert await _serve_call(router, f"CA{i}", clock) == "a"
    pool = keys.routing("pool", "card_services:en-US:3")
    assert 3 <= float(await redis.zscore(pool, "a")) < 4  # three calls today
    clock.advance(86400)
    await router.tick()
    assert (await router.get_agent("a")).status.calls_today == 0
    assert 0 <= float(await redis.zscore(pool, "a")) < 1  # the pool ranks by today's calls


@pytest.mark.parametrize(
    ("zone", "after_midnight"), [("Asia/Shanghai", 0), ("UTC", 1), ("America/New_York", 1)]
)
async def test_calls_today_start_at_zero_at_the_banks_midnight(
    redis: aioredis.Redis, keys: Keys, zone: str, after_midnight: int
) -> None:
    """23:59 to 00:01 in Shanghai is 15:59 to 16:01 UTC: a new day there only."""
    clock = Clock(datetime.fromisoformat("2026-12-03T15:59:00+00:00").timestamp())
    router = Router(
        redis=redis,
        keys=keys,
        policy=small_policy(**_with_strategy("fewest_calls")),
        events=EventLog(redis=redis, keys=keys),
        clock=clock,
        zone=ZoneInfo(zone),
    )
    await router.start()
    await router.add_agent(agent("a", {"card_services": 3}))
    await router.tick()
    assert await _serve_call(router, "CA-late", clock) == "a"
    assert (await router.get_agent("a")).status.calls_today == 1
    clock.advance(120)
    await router.tick()
    assert (await router.get_agent("a")).status.calls_today == after_midnight
