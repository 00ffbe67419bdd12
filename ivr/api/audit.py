"""The audit log over HTTP, and who a principal is in it.

Every route that changes something an admin manages calls `record` (or the
store writes the entry in the change's own transaction); the studio reads
`GET /api/audit`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ivr.api.auth import AdminDep
from ivr.api.deps import AuditLogDep
from ivr.security import Principal
from ivr.tickets.audit import AuditLog
from ivr.tickets.views import AuditView

router = APIRouter(prefix="/api/audit", tags=["audit"])


def actor(principal: Principal) -> str:
    """How the audit log names who acted: their role and token (or agent) id."""
    who = principal.agent_id or principal.token_id
    return f"{principal.role.value}:{who}" if who else principal.role.value


async def record(
    log: AuditLog,
    principal: Principal,
    action: str,
    target: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    summary: str = "",
) -> None:
    """Record one change `principal` made (already done)."""
    await log.record(actor(principal), action, target, before, after, summary=summary)


@router.get("", response_model=list[AuditView])
async def audit_entries(
    _: AdminDep,
    log: AuditLogDep,
    target: Annotated[str | None, Query(max_length=96, description="e.g. flow:main")] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="e.g. flow.publish, or 'flow.' for all")
    ] = None,
    since: Annotated[float | None, Query(description="epoch seconds")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditView]:
    """Admin changes, newest first: who, when, what, before and after."""
    return await log.entries(limit=limit, target=target, action=action, since=since)
