"""A pages app over a real Redis and ticket store, with one token per role; no browser."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from ivr.config import Settings
from ivr.keys import Keys
from ivr.routing.policy import load_policy
from ivr.routing.router import Router
from ivr.security import Role
from ivr.tickets.store import TicketStore
from ivr.web.guard import AgentPage, AgentWrite, SupervisorPage
from ivr.web.site import add_pages
from ivr.web.templating import render


@dataclass
class Web:
    client: httpx.AsyncClient
    store: TicketStore
    tokens: dict[str, str]
    settings: Settings
    app: FastAPI

    async def sign_in(self, role: str, *, next_path: str = "") -> httpx.Response:
        """Sign in through the form, as a browser does (the CSRF cookie and field included)."""
        form = await self.client.get("/signin")
        csrf = csrf_in(form.text)
        return await self.client.post(
            "/signin", data={"token": self.tokens[role], "csrf": csrf, "next": next_path}
        )


def csrf_in(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def test_pages(app: FastAPI) -> None:
    """Two small pages that stand for any page author's: one read, one write."""

    @app.get("/test/agent-page")
    async def agent_page(request: Request, session: AgentPage) -> HTMLResponse:
        return render(request, "message.html", {"message": f"hello {session.agent_id}"})

    @app.post("/test/agent-write")
    async def agent_write(session: AgentWrite) -> dict[str, str]:
        return {"done": session.agent_id or ""}

    @app.get("/test/supervisor-page")
    async def supervisor_page(request: Request, session: SupervisorPage) -> HTMLResponse:
        return render(request, "message.html", {"message": "the floor"})


@pytest.fixture
async def web(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Web]:
    """The pages over a real store and Redis, signed out, with tokens for each role."""
    store = await TicketStore.open(settings.database_url)
    app = FastAPI()
    add_pages(app)
    test_pages(app)
    app.state.settings, app.state.redis, app.state.keys, app.state.tickets = (
        settings,
        redis,
        keys,
        store,
    )
    policy = load_policy(settings.routing_dir / "policy.yaml")
    app.state.router = Router(redis=redis, keys=keys, policy=policy)
    tokens = {
        "admin": settings.admin_token,
        "supervisor": (await store.create_token(Role.SUPERVISOR))[0],
        "agent": (await store.create_token(Role.AGENT, agent_id="amy"))[0],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers={"Accept": "text/html"}
    ) as client:
        yield Web(client, store, tokens, settings, app)
    await store.close()
