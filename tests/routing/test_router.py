"""The Router's decisions against real Redis: emotions, languages, overflow, queues."""

from __future__ import annotations

import json

import pytest
import redis.asyncio as aioredis

from ivr.errors import ConflictError, InvalidInputError, NotFoundError
from ivr.events import STREAM_FIELD
from ivr.ids import AgentState
from ivr.keys import Keys
from ivr.routing.models import DecisionKind
from tests.routing.routing_support import Clock, RouterFactory, agent, call


async def _events(redis: aioredis.Redis, keys: Keys) -> list[dict[str, object]]:
    rows = await redis.xrange(keys.events_stream())
    return [json.loads(fields[STREAM_FIELD]) for _, fields in rows]


async def test_language_must_match(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("en", {"card_services": 5}))
    await router.add_agent(agent("zh", {"card_services": 3}, languages=("zh-CN",)))
    decision = await router.route(call("CA1", clock, language="zh-CN"))
    assert decision.kind is DecisionKind.CONNECT
    assert decision.agent is not None and decision.agent.id == "zh"


async def test_angry_caller_gets_level_four_or_de_escalation(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("plain", {"card_services": 3}))
    first = await router.route(call("CA1", clock, emotion="angry"))
    assert first.kind is DecisionKind.QUEUE  # a level-3 agent without the trait may not
    assert first.priority == 20
    await router.add_agent(agent("calm", {"card_services": 3}, traits=("de_escalation",)))
    second = await router.poll("CA1")
    assert second.kind is DecisionKind.CONNECT
    assert second.agent is not None and second.agent.id == "calm"
    neutral = await router.route(call("CA2", clock))
    assert neutral.agent is not None and neutral.agent.id == "plain"


async def test_angry_caller_takes_level_four(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("plain", {"card_services": 3}))
    await router.add_agent(agent("senior", {"card_services": 4}))
    decision = await router.route(call("CA1", clock, emotion="agitated"))
    assert decision.agent is not None and decision.agent.id == "senior"


async def test_sad_caller_needs_de_escalation_until_relaxed(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("strong", {"card_services": 5}))
    decision = await router.route(call("CA1", clock, emotion="sad"))
    assert decision.kind is DecisionKind.QUEUE
    clock.advance(130)  # past the rule's relax_after_seconds
    later = await router.poll("CA1")
    assert later.kind is DecisionKind.CONNECT and later.agent is not None


async def test_anxious_lost_card_is_served_first(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5, "lost_stolen_card": 5}))
    await router.set_status("a", AgentState.AWAY)
    early = await router.route(call("CA-early", clock, topic="lost_stolen_card"))
    clock.advance(30)
    urgent = await router.route(
        call("CA-urgent", clock, topic="lost_stolen_card", emotion="anxious")
    )
    assert early.priority == 50 and urgent.priority == 100
    assert urgent.position == 1
    assert (await router.poll("CA-early")).position == 2
    await router.set_status("a", AgentState.AVAILABLE)
    await router.tick()
    assert (await router.poll("CA-urgent")).kind is DecisionKind.CONNECT
    assert (await router.poll("CA-early")).kind is DecisionKind.QUEUE


async def test_queue_order_priority_then_time_waited(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 4}))
    await router.set_status("a", AgentState.OFFLINE)
    await router.add_agent(agent("b", {"card_services": 4}))
    await router.set_status("b", AgentState.AWAY)
    for sid, emotion in (("CA1", "neutral"), ("CA2", "neutral"), ("CA3", "angry")):
        decision = await router.route(call(sid, clock, emotion=emotion))
        assert decision.kind is DecisionKind.QUEUE
        assert decision.expected_wait_seconds is not None
        clock.advance(5)
    positions = {sid: (await router.poll(sid)).position for sid in ("CA1", "CA2", "CA3")}
    assert positions == {"CA3": 1, "CA1": 2, "CA2": 3}
    status = await router.queue_status()
    assert [c.call_sid for c in status[0].callers] == ["CA3", "CA1", "CA2"]
    served = []
    for _ in range(3):
        await router.set_status("b", AgentState.AVAILABLE)
        await router.tick()
        for sid in ("CA1", "CA2", "CA3"):
            if sid not in served and (await router.poll(sid)).kind is DecisionKind.CONNECT:
                served.append(sid)
                await router.dial_result(sid, "b", "completed", talk_seconds=10)
    assert served == ["CA3", "CA1", "CA2"]


async def test_new_caller_waits_behind_those_ahead(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 4}))
    await router.set_status("a", AgentState.AWAY)
    await router.route(call("CA1", clock))
    clock.advance(5)
    await router.set_status("a", AgentState.AVAILABLE)
    late = await router.route(call("CA2", clock))  # the agent is free: CA1 gets them first
    assert late.kind is DecisionKind.QUEUE and late.position == 1
    first = await router.poll("CA1")
    assert first.kind is DecisionKind.CONNECT


async def test_overflow_accepts_lower_level_over_time(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("junior", {"card_services": 1}))
    assert (await router.route(call("CA1", clock))).kind is DecisionKind.QUEUE
    clock.advance(30)
    assert (await router.poll("CA1")).kind is DecisionKind.QUEUE
    clock.advance(31)  # 61 s: the queue's overflow step accepts level 1
    decision = await router.poll("CA1")
    assert decision.kind is DecisionKind.CONNECT
    assert any("level 1 accepted" in r for r in decision.reason.split("; "))


async def test_callback_offered_then_after_max_wait(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 4}))
    await router.set_status("a", AgentState.AWAY)
    assert not (await router.route(call("CA1", clock))).offer_callback
    clock.advance(201)
    offered = await router.poll("CA1")
    assert offered.kind is DecisionKind.QUEUE and offered.offer_callback
    clock.advance(400)
    final = await router.poll("CA1")
    assert final.kind is DecisionKind.CALLBACK
    assert await router.queue_status() == []


async def test_nobody_can_serve_means_callback(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("zh", {"card_services": 5}, languages=("zh-CN",)))
    decision = await router.route(call("CA1", clock, language="en-US"))
    assert decision.kind is DecisionKind.CALLBACK
    assert "nobody on duty" in decision.reason


async def test_no_answer_puts_agent_away_and_routes_again(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.add_agent(agent("b", {"card_services": 3}))
    first = await router.route(call("CA1", clock))
    assert first.agent is not None and first.agent.id == "a"
    await router.dial_result("CA1", "a", "no-answer")
    assert (await router.get_agent("a")).status.state is AgentState.AWAY
    await router.set_status("a", AgentState.AVAILABLE)  # back, but must not get CA1 again
    again = await router.route(call("CA1", clock))
    assert again.agent is not None and again.agent.id == "b"
    await router.dial_result("CA1", "b", "busy")
    third = await router.route(call("CA1", clock))
    assert third.kind is DecisionKind.QUEUE
    assert "declined" in third.reason


async def test_completed_call_wraps_up_then_agent_returns(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.route(call("CA1", clock))
    assert (await router.get_agent("a")).status.state is AgentState.BUSY
    await router.dial_result("CA1", "a", "completed", talk_seconds=42)
    await router.dial_result("CA1", "a", "completed", talk_seconds=42)  # a carrier retry
    status = (await router.get_agent("a")).status
    assert status.state is AgentState.WRAP_UP
    assert status.calls_today == 1 and status.talk_seconds_today == 42
    await router.tick()
    assert (await router.get_agent("a")).status.state is AgentState.WRAP_UP
    clock.advance(21)
    await router.tick()
    assert (await router.get_agent("a")).status.state is AgentState.AVAILABLE


async def test_freed_agent_goes_to_waiting_caller_on_tick(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.route(call("CA1", clock))
    assert (await router.route(call("CA2", clock))).kind is DecisionKind.QUEUE
    await router.dial_result("CA1", "a", "completed", talk_seconds=30)
    clock.advance(25)
    await router.tick()
    decision = await router.poll("CA2")
    assert decision.kind is DecisionKind.CONNECT and decision.agent is not None


async def test_sticky_caller_waits_for_their_agent(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("mine", {"card_services": 3}))
    await router.add_agent(agent("other", {"card_services": 5}))
    await router.set_status("mine", AgentState.BUSY)
    request = call("CA1", clock, last_agent_id="mine", open_ticket=True)
    first = await router.route(request)
    assert first.kind is DecisionKind.QUEUE  # "other" is free, but the ticket's agent is near
    await router.set_status("mine", AgentState.AVAILABLE)
    decision = await router.poll("CA1")
    assert decision.agent is not None and decision.agent.id == "mine"
    assert decision.strategy == "sticky"


async def test_sticky_prefers_an_eligible_previous_agent(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("dana", {"lost_stolen_card": 2}))
    await router.add_agent(agent("expert", {"lost_stolen_card": 5}))
    request = call("CA1", clock, topic="lost_stolen_card", last_agent_id="dana", open_ticket=True)
    decision = await router.route(request)
    assert decision.agent is not None and decision.agent.id == "dana"
    assert decision.strategy == "sticky"


async def test_sticky_skips_a_previous_agent_without_the_skill(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("dana", {"card_services": 5}))
    await router.add_agent(agent("expert", {"lost_stolen_card": 5}))
    request = call("CA1", clock, topic="lost_stolen_card", last_agent_id="dana", open_ticket=True)
    decision = await router.route(request)
    assert decision.kind is DecisionKind.CONNECT
    assert decision.agent is not None and decision.agent.id == "expert"
    assert decision.strategy != "sticky"
    assert "returning customer" not in decision.reason
    assert (await router.get_agent("dana")).status.state is AgentState.AVAILABLE


async def test_sticky_skips_a_busy_previous_agent_without_the_skill(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("dana", {"card_services": 5}))
    await router.add_agent(agent("expert", {"lost_stolen_card": 5}))
    await router.set_status("dana", AgentState.BUSY)
    request = call("CA1", clock, topic="lost_stolen_card", last_agent_id="dana", open_ticket=True)
    decision = await router.route(request)  # no waiting for an agent who may not serve it
    assert decision.agent is not None and decision.agent.id == "expert"


async def test_sticky_respects_the_level_in_force_and_emotion_rules(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()
    await router.add_agent(agent("dana", {"card_services": 2}))
    await router.add_agent(agent("expert", {"card_services": 5}))
    await router.set_status("expert", AgentState.BUSY)
    early = await router.route(call("CA1", clock, last_agent_id="dana", open_ticket=True))
    assert early.kind is DecisionKind.QUEUE  # level 2 < 3 until the overflow lowers it
    assert "waiting for agent dana" not in early.reason
    clock.advance(61)
    later = await router.poll("CA1")
    assert later.agent is not None and later.agent.id == "dana"
    angry = call("CA2", clock, emotion="angry", last_agent_id="dana", open_ticket=True)
    await router.dial_result("CA1", "dana", "completed", talk_seconds=10)
    clock.advance(25)
    await router.tick()
    assert (await router.route(angry)).kind is DecisionKind.QUEUE  # angry: level >= 4


async def test_sticky_window_ends(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("mine", {"card_services": 3}))
    await router.add_agent(agent("other", {"card_services": 5}))
    await router.set_status("mine", AgentState.BUSY)
    await router.route(call("CA1", clock, last_agent_id="mine", open_ticket=True))
    clock.advance(61)
    decision = await router.poll("CA1")
    assert decision.agent is not None and decision.agent.id == "other"


async def test_abandon_frees_a_chosen_agent(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.set_status("a", AgentState.AWAY)
    await router.route(call("CA1", clock))
    await router.set_status("a", AgentState.AVAILABLE)
    await router.tick()  # CA1 now holds "a" until their next poll
    assert (await router.get_agent("a")).status.state is AgentState.BUSY
    await router.abandon("CA1")
    assert (await router.get_agent("a")).status.state is AgentState.AVAILABLE
    await router.abandon("CA-unknown")  # nothing to do, nothing raised


async def test_callback_request_assigns_by_weighed_load(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router()
    await router.add_agent(agent("strong", {"card_services": 5}))
    await router.add_agent(agent("junior", {"card_services": 2}))
    assigned = []
    for i in range(6):  # six customers: one number's repeat requests join its callback
        cb = await router.request_callback(call(f"CA{i}", clock, caller=f"+1555000200{i}"))
        assert cb.due_at == clock.now + 24 * 3600
        assigned.append(cb.agent_id)
    # weighed by ability: strong (5) carries three more than junior (2) before they tie
    assert assigned[:3] == ["strong"] * 3
    assert assigned.count("strong") == 4 and assigned.count("junior") == 2
    # the same call: the same promise
    again = await router.request_callback(call("CA0", clock, caller="+15550002000"))
    assert again.agent_id == assigned[0]
    events = [e for e in await _events(redis, keys) if e["type"] == "callback.requested"]
    assert len(events) == 6
    assert events[0]["data"]["agent_id"] == "strong"  # type: ignore[index]
    with pytest.raises(InvalidInputError) as info:
        await router.request_callback(call("CA9", clock), due_at=clock.now + 8 * 86400)
    assert info.value.field == "due_at"


async def test_decisions_are_stored_as_events(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.route(call("CA1", clock))
    await router.route(call("CA2", clock))
    events = [e for e in await _events(redis, keys) if e["type"] == "routing.decided"]
    assert [e["data"]["kind"] for e in events] == ["connect", "queue"]  # type: ignore[index]
    assert events[0]["data"]["candidates"][0]["agent_id"] == "a"  # type: ignore[index]
    assert len({e["id"] for e in events}) == 2


async def test_bad_input_changes_nothing(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    with pytest.raises(InvalidInputError):
        await router.set_status("a", "sleeping")
    with pytest.raises(NotFoundError):
        await router.set_status("ghost", AgentState.AVAILABLE)
    with pytest.raises(ConflictError):
        await router.add_agent(agent("a", {"card_services": 1}))
    view = await router.get_agent("a")
    assert view.status.state is AgentState.AVAILABLE and view.agent.skills
    with pytest.raises(ConflictError):
        await router.update_agent(agent("a", {"card_services": 2}), expected_version=0)
    updated = await router.update_agent(
        agent("a", {"card_services": 2}), expected_version=view.status.version
    )
    assert updated.status.version > view.status.version
    await router.dial_result("CA-nobody", "a", "completed")  # logged, nothing changes
    assert (await router.get_agent("a")).status.state is AgentState.AVAILABLE
    with pytest.raises(InvalidInputError):
        await router.dial_result("CA-nobody", "a", "ringing")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        await router.poll("CA-nobody")


async def test_remove_agent(make_router: RouterFactory, clock: Clock) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 5}))
    await router.route(call("CA1", clock))
    with pytest.raises(ConflictError):
        await router.remove_agent("a")  # on a call
    await router.dial_result("CA1", "a", "completed")
    await router.remove_agent("a")
    assert await router.list_agents() == []
    assert (await router.route(call("CA2", clock))).kind is DecisionKind.CALLBACK


async def test_seed_from_shipped_file(make_router: RouterFactory, clock: Clock) -> None:
    from ivr.config import PROJECT_DIR
    from ivr.routing.policy import load_policy

    router = await make_router(policy=load_policy(PROJECT_DIR / "routing" / "policy.yaml"))
    count = await router.agents.seed_from_file(PROJECT_DIR / "routing" / "agents.yaml")
    assert count == len(await router.list_agents()) >= 3
    decision = await router.route(call("CA1", clock, language="zh-CN", topic="digital_banking"))
    assert decision.kind is DecisionKind.CONNECT


async def test_a_forgotten_caller_does_not_hold_the_queue(
    make_router: RouterFactory, clock: Clock, redis: aioredis.Redis, keys: Keys
) -> None:
    router = await make_router()
    await router.add_agent(agent("a", {"card_services": 4}))
    await router.set_status("a", AgentState.AWAY)
    await router.route(call("CA-gone", clock))
    await redis.delete(keys.routing("call", "CA-gone"))  # its record expired
    clock.advance(5)
    await router.set_status("a", AgentState.AVAILABLE)
    decision = await router.route(call("CA2", clock))
    assert decision.kind is DecisionKind.CONNECT
    assert await router.queue_status() == []
