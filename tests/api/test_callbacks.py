"""Completing a callback through the API frees the caller's number for a new one."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import callbacks
from ivr.config import Settings
from ivr.events import CallEvent, event_id
from ivr.keys import Keys
from ivr.routing.models import Callback, RoutingRequest
from ivr.routing.policy import parse_policy
from ivr.routing.router import Router
from ivr.security import Role
from ivr.tickets.store import TicketStore
from tests.routing.routing_support import agent

NUMBER = "+14155550100"


@dataclass
class Desk:
    client: httpx.AsyncClient
    store: TicketStore
    router: Router
    tokens: dict[str, str]

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    async def ask(self, call_sid: str, caller: str = NUMBER) -> Callback:
        """A caller asks for a callback; the ticket store hears of it as the persister would."""
        request = RoutingRequest.model_validate(
            {"call_sid": call_sid, "caller": caller, "language": "en-US", "entered_at": 0.0}
        )
        cb = await self.router.request_callback(request)
        kind = "callback.joined" if cb.joined else "callback.requested"
        data = {
            "callback_id": cb.id,
            "number": caller,
            "due_at": cb.due_at,
            "agent_id": cb.agent_id,
        }
        now = time.time()
        await self.store.persist(
            [
                CallEvent(
                    id=event_id(call_sid, "v"),
                    call_sid=call_sid,
                    at=now,
                    type="call.started",
                    data={"caller": caller},
                ),
                CallEvent(
                    id=event_id(call_sid, "cb"), call_sid=call_sid, at=now, type=kind, data=data
                ),
            ]
        )
        return cb


@pytest.fixture
async def desk(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Desk]:
    """The callbacks API over a real store and real Redis, with routing on the same Redis."""
    store = await TicketStore.open(settings.database_url)
    router = Router(redis=redis, keys=keys, policy=parse_policy({}, source="test"))
    await router.start()
    await router.add_agent(agent("a1", {"general": 3}))
    app = FastAPI()
    app.include_router(callbacks.router)
    app.state.settings, app.state.redis, app.state.keys = settings, redis, keys
    app.state.tickets = store
    tokens = {
        "admin": (await store.create_token(Role.ADMIN))[0],
        "a1": (await store.create_token(Role.AGENT, agent_id="a1"))[0],
        "a2": (await store.create_token(Role.AGENT, agent_id="a2"))[0],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Desk(client, store, router, tokens)
    await store.close()


async def test_after_completion_the_number_books_a_new_callback(desk: Desk) -> None:
    first = await desk.ask("CA1")
    assert (await desk.ask("CA2")).id == first.id  # still pending: joined
    listed = (await desk.client.get("/api/callbacks", headers=desk.auth("admin"))).json()
    assert [c["id"] for c in listed] == [first.id]

    # an agent who may not complete it changes nothing
    r = await desk.client.post(f"/api/callbacks/{first.id}/complete", headers=desk.auth("a2"))
    assert r.status_code == 403
    assert (await desk.ask("CA3")).id == first.id

    r = await desk.client.post(f"/api/callbacks/{first.id}/complete", headers=desk.auth("a1"))
    assert r.status_code == 200 and r.json()["status"] == "done"
    fresh = await desk.ask("CA4")
    assert fresh.id != first.id and not fresh.joined
    listed = (await desk.client.get("/api/callbacks", headers=desk.auth("admin"))).json()
    assert [c["id"] for c in listed] == [fresh.id]
    for sid in ("CA1", "CA2", "CA3"):  # the tickets that waited on the first are resolved
        assert (await desk.store.get(sid)).status == "resolved"


async def test_completing_an_unknown_callback_is_404(desk: Desk) -> None:
    r = await desk.client.post("/api/callbacks/cb_nope/complete", headers=desk.auth("admin"))
    assert r.status_code == 404
