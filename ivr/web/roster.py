"""The roster page (`/admin/agents`, admins): every agent's skills, levels, languages, traits,
capacity and state, edited in the page through the agents API's own functions (so the same
checks, the same version guard and the same audit entries apply)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from ivr.api import agents as agents_api
from ivr.api.deps import AuditLogDep, RouterDep
from ivr.ids import AgentState, Language, Topic
from ivr.routing.models import AgentView
from ivr.web.guard import AdminPage, AdminWrite
from ivr.web.templating import render
from ivr.web.text import page_language, translate

router = APIRouter(include_in_schema=False)

SCRIPT_TEXT = ("agents_saved", "agents_removed", "agents_changed", "studio_network")


@router.get("/admin/agents")
async def roster_page(request: Request, session: AdminPage, routing: RouterDep) -> HTMLResponse:
    """The roster, one form per agent, and a form to add one."""
    agents = await agents_api.list_agents(session.principal, routing)
    language = page_language(request)
    return render(
        request,
        "roster.html",
        {
            "agents": agents,
            "topics": [t.value for t in Topic],
            "languages": [lang.value for lang in Language],
            "states": [s.value for s in AgentState if s not in (AgentState.BUSY,)],
            "texts": {key: translate(language, key) for key in SCRIPT_TEXT},
            "tab": "agents",
        },
    )


@router.post("/admin/agents", status_code=201, response_model=AgentView)
async def add(
    body: agents_api.NewAgent, session: AdminWrite, routing: RouterDep, audit: AuditLogDep
) -> AgentView:
    """Register an agent."""
    return await agents_api.add_agent(body, session.principal, routing, audit)


@router.post("/admin/agents/{agent_id}", response_model=AgentView)
async def update(
    agent_id: str,
    body: agents_api.AgentChange,
    session: AdminWrite,
    routing: RouterDep,
    audit: AuditLogDep,
) -> AgentView:
    """Replace an agent's details (409 when someone changed them meanwhile)."""
    return await agents_api.update_agent(agent_id, body, session.principal, routing, audit)


@router.post("/admin/agents/{agent_id}/status", response_model=AgentView)
async def status(
    agent_id: str,
    body: agents_api.StatusChange,
    session: AdminWrite,
    routing: RouterDep,
    audit: AuditLogDep,
) -> AgentView:
    """Change an agent's state."""
    return await agents_api.set_status(agent_id, body, session.principal, routing, audit)


@router.post("/admin/agents/{agent_id}/remove")
async def remove(
    agent_id: str,
    session: AdminWrite,
    routing: RouterDep,
    audit: AuditLogDep,
    version: Annotated[int | None, Query()] = None,
) -> Response:
    """Remove an agent who is not on a call."""
    return await agents_api.remove_agent(agent_id, session.principal, routing, audit, version)
