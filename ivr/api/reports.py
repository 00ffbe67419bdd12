"""The reports API: the summary of a period, for admins and supervisors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ivr.api.auth import AdminOrSupervisorDep
from ivr.api.deps import TicketStoreDep
from ivr.api.tickets import parse_when
from ivr.tickets.reports import ReportSummary, summarize

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
    tickets = await store.between(since, until)
    return summarize(tickets, period_from=since, period_to=until)
