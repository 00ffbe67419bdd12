"""The reports API: the summary of a period (admins, supervisors) and the audit log (admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import TicketStoreDep
from ivr.api.tickets import parse_when
from ivr.tickets.reports import ReportSummary, summarize
from ivr.tickets.views import AuditView

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/summary", response_model=ReportSummary)
async def report_summary(
    _: AdminOrSupervisorDep,
    store: TicketStoreDep,
    from_: Annotated[str | None, Query(alias="from", description="ISO 8601, inclusive")] = None,
    to: Annotated[str | None, Query(description="ISO 8601, exclusive")] = None,
) -> ReportSummary:
    """Counts by topic, emotion and outcome; queue, handle, abandonment, service level, CSAT."""
    since = parse_when(from_, field="from")
    until = parse_when(to, field="to")
    if since is not None and until is not None and since > until:
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["query", "from"],
                    "msg": "'from' must not be after 'to'",
                    "type": "value_error",
                }
            ],
        )
    tickets = await store.between(since, until)
    return summarize(tickets, period_from=since, period_to=until)


@router.get("/audit", response_model=list[AuditView])
async def audit_log(
    _: AdminDep,
    store: TicketStoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditView]:
    """The newest admin changes: who, when, what, before and after (admins only)."""
    return await store.audit_log(limit=limit)
