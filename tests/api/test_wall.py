"""The live wall (`GET /api/reports/live`): queues and roster, callbacks, today's calls."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import agents, reports
from ivr.bank_time import day_start
from ivr.config import Settings
from ivr.ids import AgentState
from ivr.keys import Keys
from ivr.routing.models import Agent, RoutingRequest
from ivr.routing.policy import load_policy
from ivr.routing.router import Router
from ivr.security import Role
from ivr.tickets.models import ticket_id
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketPatch
from tests.tickets.conftest import answered_call

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _request(
    sid: str, *, topic: str, waited: float, emotion: str = "neutral", intensity: float = 0.0
) -> RoutingRequest:
    return RoutingRequest.model_validate(
        {
            "call_sid": sid,
            "caller": "+15550001111",
            "language": "en-US",
            "topic": topic,
            "emotion": emotion,
            "emotion_intensity": intensity,
            "entered_at": time.time() - waited,
        }
    )


def _agent(ident: str, **skills: int) -> Agent:
    return Agent(
        id=ident, name=ident.title(), endpoint="client", languages=["en-US"], skills=skills
    )


@pytest.fixture
async def wall(
    settings: Settings, redis: aioredis.Redis, keys: Keys
) -> AsyncIterator[tuple[httpx.AsyncClient, Router, TicketStore]]:
    """The reports and agents routes over real Redis, SQLite and the shipped policy; the
    bank's days are Shanghai's (IVR_TIMEZONE=Asia/Shanghai)."""
    settings.timezone = "Asia/Shanghai"
    store = await TicketStore.open(settings.database_url_async())
    router = Router(
        redis=redis, keys=keys, policy=load_policy(settings.routing_dir / "policy.yaml")
    )
    app = FastAPI()
    for module in (reports, agents):
        app.include_router(module.router)
    app.state.settings, app.state.redis, app.state.keys = settings, redis, keys
    app.state.tickets, app.state.router = store, router
    token, _ = await store.create_token(Role.SUPERVISOR)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    ) as client:
        yield client, router, store
    await store.close()


async def test_the_wall_shows_queues_agents_callbacks_and_today(
    wall: tuple[httpx.AsyncClient, Router, TicketStore],
) -> None:
    client, router, store = wall
    await router.add_agent(_agent("amy", loans=4), state=AgentState.AVAILABLE)
    await router.add_agent(_agent("bob", account_inquiry=4), state=AgentState.AWAY)
    await router.add_agent(_agent("cat", general=4), state=AgentState.OFFLINE)
    served = await router.route(_request("CA-amy", topic="loans", waited=0))
    assert served.agent is not None and served.agent.id == "amy"
    # Nobody free for account questions: three callers wait, one long enough to be offered
    # a callback (the shipped policy offers one after 300 s), one of them upset.
    await router.route(_request("CA-long", topic="account_inquiry", waited=400))
    await router.route(
        _request("CA-angry", topic="account_inquiry", waited=30, emotion="angry", intensity=0.9)
    )
    await router.route(
        _request("CA-calm", topic="account_inquiry", waited=10, emotion="sad", intensity=0.1)
    )
    now = time.time()
    midnight = day_start(now, SHANGHAI)
    # Two calls answered today (in Shanghai); one promised a callback an hour ago, one in an
    # hour. Ten minutes ago, or just after midnight if that was yesterday.
    for sid, callback_at in (("CA-late", now - 3600), ("CA-soon", now + 3600)):
        t0 = max(now - 600, midnight)
        await store.persist(answered_call(sid, t0=t0, queue_wait=5.0, csat=4))
        await store.patch(
            ticket_id(sid), TicketPatch(callback_at=callback_at), actor="test", audit=False
        )

    live = (await client.get("/api/reports/live")).json()
    [queue] = live["queues"]
    assert (queue["topic"], queue["language"], queue["waiting"]) == ("account_inquiry", "en-US", 3)
    assert queue["longest_wait_seconds"] >= 400
    assert (queue["offered_callback"], queue["upset"]) == (1, 1)
    assert "callers" not in queue  # no caller numbers on the wall
    assert (live["waiting"], live["offered_callback"], live["upset_waiting"]) == (3, 1, 1)
    assert live["agents_by_state"] == {
        "available": 0,
        "busy": 1,
        "wrap_up": 0,
        "away": 1,
        "offline": 1,
    }
    amy = next(a for a in live["agents"] if a["id"] == "amy")
    assert (amy["state"], amy["call_sid"]) == ("busy", "CA-amy")
    assert [a["id"] for a in live["agents"]] == ["amy", "bob", "cat"]  # in the order of states
    today = datetime.fromtimestamp(now, SHANGHAI).date().isoformat()
    summary = (await client.get(f"/api/reports/summary?from={today}")).json()
    assert live["timezone"] == "Asia/Shanghai"
    assert live["today"]["period_from"] in (midnight, day_start(time.time(), SHANGHAI))
    assert live["today"] == summary
    assert summary["calls"] == 2 and summary["service_level"] == 1.0
    assert (live["callbacks_due"], live["callbacks_overdue"]) == (2, 1)


async def test_the_wall_is_for_supervisors_and_admins(
    wall: tuple[httpx.AsyncClient, Router, TicketStore],
) -> None:
    client, _, store = wall
    token, _ = await store.create_token(Role.AGENT, agent_id="amy")
    refused = await client.get("/api/reports/live", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    assert (await client.get("/api/reports/live", headers={"Authorization": ""})).status_code == 401
    empty = (await client.get("/api/reports/live")).json()
    assert (empty["queues"], empty["agents"], empty["today"]["calls"]) == ([], [], 0)
