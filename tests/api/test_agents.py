"""The agents API on the real app's routes, real Redis and a real SQLite token store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ivr.api import agents
from ivr.config import Settings
from ivr.errors import ConflictError, InvalidInputError, NotFoundError
from ivr.keys import Keys
from ivr.routing.models import RoutingRequest
from ivr.routing.policy import load_policy
from ivr.routing.router import Router
from ivr.security import Role
from ivr.tickets.store import TicketStore

ADMIN = {"Authorization": "Bearer test-admin-token"}


def _agent(ident: str = "amy", **fields: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident.title(),
        "endpoint": "client",
        "languages": ["en-US"],
        "skills": {"card_services": 4},
        **fields,
    }


class Api:
    """The app's HTTP surface with tokens of every role."""

    def __init__(self, transport: httpx.ASGITransport, store: TicketStore, router: Router):
        self.transport = transport
        self.store = store
        self.router = router

    def client(self, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
        """A client sending `headers` (the admin token by default)."""
        return httpx.AsyncClient(
            transport=self.transport,
            base_url="http://testserver",
            headers=ADMIN if headers is None else headers,
        )

    async def token(self, role: Role, agent_id: str | None = None) -> dict[str, str]:
        """Headers with a fresh token of `role`."""
        token, _ = await self.store.create_token(role, agent_id=agent_id)
        return {"Authorization": f"Bearer {token}"}


def _app(settings: Settings) -> FastAPI:
    """The agents routes with the contract's error mapping (as ivr.app maps the error family)."""
    app = FastAPI()
    app.include_router(agents.router)
    for error, code in ((NotFoundError, 404), (InvalidInputError, 422), (ConflictError, 409)):

        async def handle(request: Request, exc: Exception, code: int = code) -> JSONResponse:
            return JSONResponse(
                {"detail": str(exc), "field": getattr(exc, "field", None)}, status_code=code
            )

        app.add_exception_handler(error, handle)
    app.state.settings = settings
    return app


@pytest.fixture
async def api(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Api]:
    """The agents API with real Redis, a real SQLite token store and the shipped policy."""
    app = _app(settings)
    store = await TicketStore.open(settings.database_url_async())
    policy = load_policy(settings.routing_dir / "policy.yaml")
    router = Router(redis=redis, keys=keys, policy=policy)
    app.state.redis, app.state.keys = redis, keys
    app.state.tickets, app.state.router = store, router
    yield Api(httpx.ASGITransport(app=app), store, router)
    await store.close()


async def test_register_list_and_read(api: Api) -> None:
    async with api.client() as client:
        created = await client.post("/api/agents", json=_agent(traits=["de_escalation"]))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["agent"]["id"] == "amy" and body["status"]["state"] == "available"
        listed = await client.get("/api/agents")
        assert [v["agent"]["id"] for v in listed.json()] == ["amy"]
        one = await client.get("/api/agents/amy")
        assert one.json()["agent"]["skills"] == {"card_services": 4}
        assert (await client.get("/api/agents/ghost")).status_code == 404


async def test_roles(api: Api) -> None:
    supervisor = await api.token(Role.SUPERVISOR)
    amy = await api.token(Role.AGENT, agent_id="amy")
    async with api.client() as admin:
        await admin.post("/api/agents", json=_agent("amy"))
        await admin.post("/api/agents", json=_agent("ben"))
    async with api.client({}) as anonymous:
        assert (await anonymous.get("/api/agents")).status_code == 401
    async with api.client(supervisor) as client:
        assert (await client.get("/api/agents")).status_code == 200
        assert (await client.post("/api/agents", json=_agent("cy"))).status_code == 403
        assert (await client.get("/api/queues")).status_code == 200
    async with api.client(amy) as client:
        own = await client.put("/api/agents/amy/status", json={"status": "away"})
        assert own.status_code == 200 and own.json()["status"]["state"] == "away"
        other = await client.put("/api/agents/ben/status", json={"status": "away"})
        assert other.status_code == 403
        assert (await client.get("/api/agents")).status_code == 403
    assert (await api.router.get_agent("ben")).status.state.value == "available"


async def test_bad_input_is_rejected_and_changes_nothing(api: Api) -> None:
    async with api.client() as client:
        await client.post("/api/agents", json=_agent())
        bad_level = await client.post("/api/agents", json=_agent("b", skills={"loans": 6}))
        assert bad_level.status_code == 422
        bad_topic = await client.post("/api/agents", json=_agent("c", skills={"yachts": 3}))
        assert bad_topic.status_code == 422
        bad_lang = await client.post("/api/agents", json=_agent("d", languages=["fr-FR"]))
        assert bad_lang.status_code == 422
        bad_endpoint = await client.post("/api/agents", json=_agent("e", endpoint="555"))
        assert bad_endpoint.status_code == 422
        again = await client.post("/api/agents", json=_agent(name="Someone Else"))
        assert again.status_code == 409
        state = await client.put("/api/agents/amy/status", json={"status": "sleeping"})
        assert state.status_code == 422 and state.json()["field"] == "status"
        ghost = await client.put("/api/agents/ghost/status", json={"status": "away"})
        assert ghost.status_code == 404
        listed = (await client.get("/api/agents")).json()
    assert [v["agent"]["id"] for v in listed] == ["amy"]
    assert listed[0]["agent"]["name"] == "Amy" and listed[0]["status"]["state"] == "available"


async def test_two_admins_editing_one_agent(api: Api) -> None:
    async with api.client() as first, api.client() as second:
        version = (await first.post("/api/agents", json=_agent())).json()["status"]["version"]
        one = await first.put("/api/agents/amy", json=_agent(skills={"loans": 5}, version=version))
        assert one.status_code == 200
        two = await second.put(
            "/api/agents/amy", json=_agent(skills={"general": 1}, version=version)
        )
        assert two.status_code == 409
        now = (await first.get("/api/agents/amy")).json()
    assert now["agent"]["skills"] == {"loans": 5}


async def test_remove_and_queues(api: Api) -> None:
    async with api.client() as client:
        await client.post("/api/agents", json=_agent(status="away"))
        request = RoutingRequest.model_validate(
            {
                "call_sid": "CA1",
                "caller": "+15550001111",
                "language": "en-US",
                "topic": "card_services",
                "entered_at": 1.0e12,
            }
        )
        decision = await api.router.route(request)
        assert decision.kind.value == "queue"
        queues = (await client.get("/api/queues")).json()
        assert queues[0]["queue"] == "card_services.en-US"
        assert [c["call_sid"] for c in queues[0]["callers"]] == ["CA1"]
        assert (await client.delete("/api/agents/amy")).status_code == 204
        assert (await client.delete("/api/agents/amy")).status_code == 404


async def test_every_roster_change_is_in_the_audit_log(api: Api) -> None:
    amy = await api.token(Role.AGENT, agent_id="amy")
    async with api.client() as admin:
        await admin.post("/api/agents", json=_agent("amy"))
        changed = _agent("amy", skills={"card_services": 5, "loans": 2}, capacity=2)
        assert (await admin.put("/api/agents/amy", json=changed)).status_code == 200
    async with api.client(amy) as client:
        await client.put("/api/agents/amy/status", json={"status": "away"})
    async with api.client() as admin:
        assert (await admin.delete("/api/agents/amy")).status_code == 204
    entries = [e for e in reversed(await api.store.audit_log()) if e.target == "agent:amy"]
    assert [(e.action, e.target) for e in entries] == [
        ("agent.add", "agent:amy"),
        ("agent.update", "agent:amy"),
        ("agent.status", "agent:amy"),
        ("agent.remove", "agent:amy"),
    ]
    add, update, status, remove = entries
    assert add.actor == "admin:env:IVR_ADMIN_TOKEN" and add.changes["after"]["state"] == "available"
    # Only what changed, before and after.
    assert update.changes == {
        "before": {"skills": {"card_services": 4}, "capacity": 1},
        "after": {"skills": {"card_services": 5, "loans": 2}, "capacity": 2},
    }
    assert status.actor == "agent:amy"
    assert status.changes == {"before": {"state": "available"}, "after": {"state": "away"}}
    assert remove.changes["before"]["name"] == "Amy" and remove.changes["after"] == {}
