"""The reports API: a period's summary, day by day and as CSV, the live wall (admins,
supervisors), and the audit log (admins)."""

from __future__ import annotations

import time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Response

from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import BankZoneDep, RouterDep, TicketStoreDep
from ivr.api.tickets import WHEN_DESCRIPTION, parse_when
from ivr.api.wall import LiveWall, read_wall
from ivr.bank_time import days_before, local_date, next_day_start
from ivr.tickets.report_csv import report_csv
from ivr.tickets.report_rows import report_tickets
from ivr.tickets.reports import MAX_DAYS, DailyReport, ReportSummary, daily, day_count, summarize
from ivr.tickets.store import TicketStore
from ivr.tickets.views import AuditView

router = APIRouter(prefix="/api/reports", tags=["reports"])

FromQuery = Annotated[str | None, Query(alias="from", description=WHEN_DESCRIPTION + "; inclusive")]
ToQuery = Annotated[str | None, Query(description=WHEN_DESCRIPTION + "; exclusive")]
DEFAULT_DAYS = 7


def period(
    from_: str | None, to: str | None, *, zone: ZoneInfo
) -> tuple[float | None, float | None]:
    """The period asked for, as epoch seconds; 422 naming `from` when it is after `to`."""
    since = parse_when(from_, field="from", zone=zone)
    until = parse_when(to, field="to", zone=zone)
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
    return since, until


async def daily_report(
    store: TicketStore, from_: str | None, to: str | None, *, zone: ZoneInfo
) -> DailyReport:
    """The bank's days of the period (default: the last 7, today included); 422 past a year."""
    since, until = period(from_, to, zone=zone)
    until = until if until is not None else next_day_start(time.time(), zone)
    since = since if since is not None else days_before(until, DEFAULT_DAYS, zone)
    if day_count(since, until, zone=zone) > MAX_DAYS:
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["query", "from"],
                    "msg": f"a day-by-day report covers at most {MAX_DAYS} days",
                    "type": "value_error",
                }
            ],
        )
    return daily(await report_tickets(store, since, until), since=since, until=until, zone=zone)


@router.get("/summary", response_model=ReportSummary)
async def report_summary(
    _: AdminOrSupervisorDep,
    store: TicketStoreDep,
    zone: BankZoneDep,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> ReportSummary:
    """Counts by topic, emotion and outcome; queue, handle, abandonment, service level, CSAT."""
    since, until = period(from_, to, zone=zone)
    tickets = await report_tickets(store, since, until)
    return summarize(tickets, period_from=since, period_to=until)


@router.get("/daily", response_model=DailyReport)
async def report_daily(
    _: AdminOrSupervisorDep,
    store: TicketStoreDep,
    zone: BankZoneDep,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> DailyReport:
    """The summary of each of the bank's days in the period (default: the last 7), and total."""
    return await daily_report(store, from_, to, zone=zone)


@router.get(
    "/daily.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "a row per day, then total"}},
)
async def report_daily_csv(
    _: AdminOrSupervisorDep,
    store: TicketStoreDep,
    zone: BankZoneDep,
    from_: FromQuery = None,
    to: ToQuery = None,
) -> Response:
    """The day-by-day report as CSV: a row per day of the bank's, then the total."""
    return csv_response(await daily_report(store, from_, to, zone=zone))


@router.get("/live", response_model=LiveWall)
async def live(
    _: AdminOrSupervisorDep, store: TicketStoreDep, routing: RouterDep, zone: BankZoneDep
) -> LiveWall:
    """The live wall: queues, agents by state, open callbacks, the bank's today's summary."""
    return await read_wall(routing=routing, store=store, now=time.time(), zone=zone)


@router.get("/audit", response_model=list[AuditView])
async def audit_log(
    _: AdminDep,
    store: TicketStoreDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditView]:
    """The newest admin changes: who, when, what, before and after (admins only)."""
    return await store.audit_log(limit=limit)


def csv_response(report: DailyReport) -> Response:
    """`report` as a CSV download named for its days (the bank's dates)."""
    first = report.days[0].period_from if report.days else report.total.period_from
    zone = ZoneInfo(report.timezone)
    name = f"ivr-report-{_day(first, zone)}-{_day(report.total.period_to, zone)}.csv"
    return Response(
        report_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _day(at: float | None, zone: ZoneInfo) -> str:
    return local_date(at, zone).isoformat() if at is not None else "all"
