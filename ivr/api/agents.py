"""The agents API: register agents, change their state, watch the queues."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field

from ivr.api.audit import record
from ivr.api.auth import AdminDep, AdminOrSupervisorDep, PrincipalDep
from ivr.api.deps import AuditLogDep, RouterDep
from ivr.errors import InvalidInputError
from ivr.ids import AgentState
from ivr.routing.models import Agent, AgentView, QueueStatus
from ivr.routing.roster import parse_state
from ivr.security import Principal, Role

router = APIRouter(tags=["agents"])


class NewAgent(Agent):
    """An agent to register, and the state it starts in."""

    status: AgentState = Field(
        default=AgentState.AVAILABLE, description="available, away or offline"
    )


class AgentChange(Agent):
    """New details for an agent; `version` guards against a concurrent change."""

    version: int | None = Field(default=None, description="the version you read; None: any")


class StatusChange(BaseModel):
    """A new state for an agent."""

    status: str = Field(description="available, busy, wrap_up, away or offline")
    version: int | None = Field(default=None, description="the version you read; None: any")


def _admin_or_self(principal: Principal, agent_id: str) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.AGENT and principal.agent_id == agent_id:
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only an admin or that agent may")


@router.post("/api/agents", status_code=status.HTTP_201_CREATED, response_model=AgentView)
async def add_agent(
    body: NewAgent, principal: AdminDep, routing: RouterDep, audit: AuditLogDep
) -> AgentView:
    """Register an agent (409 when the id is taken)."""
    agent = Agent.model_validate(body.model_dump(exclude={"status"}))
    added = await routing.add_agent(agent, state=body.status)
    await record(audit, principal, "agent.add", f"agent:{agent.id}", {}, _details(added))
    return added


@router.get("/api/agents", response_model=list[AgentView])
async def list_agents(_: AdminOrSupervisorDep, routing: RouterDep) -> list[AgentView]:
    """Every agent with their state."""
    return await routing.list_agents()


@router.get("/api/agents/{agent_id}", response_model=AgentView)
async def get_agent(agent_id: str, principal: PrincipalDep, routing: RouterDep) -> AgentView:
    """One agent with their state (admin, supervisor, or that agent)."""
    if principal.role is not Role.SUPERVISOR:
        _admin_or_self(principal, agent_id)
    return await routing.get_agent(agent_id)


@router.put("/api/agents/{agent_id}", response_model=AgentView)
async def update_agent(
    agent_id: str, body: AgentChange, principal: AdminDep, routing: RouterDep, audit: AuditLogDep
) -> AgentView:
    """Replace an agent's details, keeping their state (409 when `version` is stale)."""
    if body.id != agent_id:
        raise InvalidInputError(f"the body's id {body.id!r} is not {agent_id!r}", field="id")
    agent = Agent.model_validate(body.model_dump(exclude={"version"}))
    before = await routing.get_agent(agent_id)
    after = await routing.update_agent(agent, expected_version=body.version)
    old, new = _details(before), _details(after)
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    await record(
        audit,
        principal,
        "agent.update",
        f"agent:{agent_id}",
        {k: old.get(k) for k in changed},
        {k: new.get(k) for k in changed},
    )
    return after


@router.delete("/api/agents/{agent_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_agent(
    agent_id: str,
    principal: AdminDep,
    routing: RouterDep,
    audit: AuditLogDep,
    version: int | None = None,
) -> Response:
    """Remove an agent who is not on a call."""
    before = await routing.get_agent(agent_id)
    await routing.remove_agent(agent_id, expected_version=version)
    await record(audit, principal, "agent.remove", f"agent:{agent_id}", _details(before), {})
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/api/agents/{agent_id}/status", response_model=AgentView)
async def set_status(
    agent_id: str,
    body: StatusChange,
    principal: PrincipalDep,
    routing: RouterDep,
    audit: AuditLogDep,
) -> AgentView:
    """Change an agent's state (admin, or that agent); 422 for an unknown state."""
    _admin_or_self(principal, agent_id)
    state = parse_state(body.status)
    before = await routing.get_agent(agent_id)
    after = await routing.set_status(agent_id, state, expected_version=body.version)
    await record(
        audit,
        principal,
        "agent.status",
        f"agent:{agent_id}",
        {"state": before.status.state},
        {"state": after.status.state},
    )
    return after


def _details(view: AgentView) -> dict[str, Any]:
    """What the audit log keeps of an agent: their details and state, not the counters."""
    return view.agent.model_dump(mode="json") | {"state": view.status.state.value}


@router.get("/api/queues", response_model=list[QueueStatus], tags=["queues"])
async def list_queues(_: AdminOrSupervisorDep, routing: RouterDep) -> list[QueueStatus]:
    """Queues with callers waiting, in the order they will be served."""
    return await routing.queue_status()
