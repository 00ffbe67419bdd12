"""Bearer tokens: 401 without a valid one, 403 for a role that may not, per endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import callbacks, reports, tickets
from ivr.config import Settings
from ivr.keys import Keys
from ivr.security import Role, hash_token
from ivr.tickets.store import TicketStore


@dataclass
class Api:
    client: httpx.AsyncClient
    store: TicketStore
    tokens: dict[str, str]


@pytest.fixture
async def api(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Api]:
    """The tickets, reports and callbacks routers over a real store, with one token per role."""
    store = await TicketStore.open(settings.database_url)
    app = FastAPI()
    for module in (tickets, reports, callbacks):
        app.include_router(module.router)
    app.state.settings, app.state.redis, app.state.keys, app.state.tickets = (
        settings,
        redis,
        keys,
        store,
    )
    tokens = {
        "admin": (await store.create_token(Role.ADMIN))[0],
        "supervisor": (await store.create_token(Role.SUPERVISOR))[0],
        "agent": (await store.create_token(Role.AGENT, agent_id="a1"))[0],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, store, tokens)
    await store.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


ENDPOINTS = [
    ("GET", "/api/tickets", None),
    ("GET", "/api/tickets/TK0000", None),
    ("PATCH", "/api/tickets/TK0000", {"notes": "x"}),
    ("GET", "/api/reports/summary", None),
    ("GET", "/api/reports/daily", None),
    ("GET", "/api/reports/daily.csv", None),
    ("GET", "/api/reports/audit", None),
    ("GET", "/api/callbacks", None),
    ("POST", "/api/callbacks/cb1/complete", None),
    ("GET", "/api/customers/+14155550100", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
@pytest.mark.parametrize(
    "header",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ivr_forged-token-that-was-never-issued"},
        {"Authorization": "Bearer " + "x" * 2000},
    ],
)
async def test_without_a_valid_token_every_endpoint_is_401(
    api: Api, method: str, path: str, body: object, header: dict[str, str]
) -> None:
    r = await api.client.request(method, path, json=body, headers=header)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


EXPECTED = {
    # (method, path): statuses for admin, supervisor, agent (404 = allowed, the thing is unknown)
    ("GET", "/api/tickets"): (200, 200, 200),
    ("GET", "/api/tickets/TK0000"): (404, 404, 404),
    ("PATCH", "/api/tickets/TK0000"): (404, 404, 404),
    ("GET", "/api/reports/summary"): (200, 200, 403),
    ("GET", "/api/reports/daily"): (200, 200, 403),
    ("GET", "/api/reports/daily.csv"): (200, 200, 403),
    ("GET", "/api/reports/audit"): (200, 403, 403),
    ("GET", "/api/callbacks"): (200, 200, 200),
    ("POST", "/api/callbacks/cb1/complete"): (404, 404, 404),
    # an agent sees only customers they have served; others are unknown to them
    ("GET", "/api/customers/+14155550100"): (200, 200, 404),
}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_roles_per_endpoint(api: Api, method: str, path: str, body: object) -> None:
    got = []
    for role in ("admin", "supervisor", "agent"):
        r = await api.client.request(method, path, json=body, headers=bearer(api.tokens[role]))
        got.append(r.status_code)
    assert tuple(got) == EXPECTED[(method, path)]


async def test_the_configured_admin_token_is_admin(api: Api, settings: Settings) -> None:
    r = await api.client.get("/api/reports/summary", headers=bearer(settings.admin_token))
    assert r.status_code == 200


async def test_revoked_and_expired_tokens_are_refused(api: Api) -> None:
    token, record = await api.store.create_token(Role.SUPERVISOR)
    assert (await api.client.get("/api/tickets", headers=bearer(token))).status_code == 200
    await api.store.revoke_token(record.id)
    assert (await api.client.get("/api/tickets", headers=bearer(token))).status_code == 401
    expired, _ = await api.store.create_token(Role.ADMIN, ttl_seconds=-1)
    assert (await api.client.get("/api/tickets", headers=bearer(expired))).status_code == 401


async def test_the_hash_of_a_token_is_not_a_token(api: Api) -> None:
    r = await api.client.get("/api/tickets", headers=bearer(hash_token(api.tokens["admin"])))
    assert r.status_code == 401


async def test_the_audit_log_shows_token_creation(api: Api) -> None:
    r = await api.client.get("/api/reports/audit", headers=bearer(api.tokens["admin"]))
    assert [e["action"] for e in r.json()] == ["token.create"] * 3


async def test_openapi_describes_the_bearer_scheme(api: Api) -> None:
    doc = (await api.client.get("/openapi.json")).json()
    schemes = doc["components"]["securitySchemes"]
    bearers = [
        name for name, s in schemes.items() if (s["type"], s["scheme"]) == ("http", "bearer")
    ]
    assert bearers
    for method, path in (("get", "/api/tickets"), ("get", "/api/reports/summary")):
        assert {bearers[0]: []} in doc["paths"][path][method]["security"]
