"""/dashboard (supervisor, admin): the live wall, or past days from the reports.

The page is drawn on the server. Its script listens on the shared live
channel (`/live`) and, when calls move, fetches `/dashboard/wall` (the same
panels, drawn again from `read_wall`) and swaps them in; a slow refresh
catches what no call event announces (an agent going away). With `from`/`to`
the page shows those days from `daily_report`, the function behind
`GET /api/reports/daily`, with their CSV at `/dashboard/report.csv`.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from ivr.api.deps import BankZoneDep, RouterDep, TicketStoreDep
from ivr.api.reports import csv_response, daily_report
from ivr.api.wall import LiveWall, read_wall
from ivr.tickets.reports import DailyReport
from ivr.web.dashboard import view
from ivr.web.guard import SupervisorPage
from ivr.web.templating import render
from ivr.web.text import page_language, translate

router = APIRouter(include_in_schema=False)

DayQuery = Annotated[str | None, Query(max_length=40)]
REFRESH_SECONDS = 5  # the slow refresh; call events trigger one sooner


def _wall_context(request: Request, wall: LiveWall) -> dict[str, Any]:
    t = partial(translate, page_language(request))
    return {
        "wall": wall,
        "live_tiles": view.live_tiles(wall, t),
        "tiles": view.summary_tiles(wall.today, t),
        "charts": view.breakdowns(wall.today, t),
        "state_label": partial(view.state_label, t),
        "seconds": view.seconds,
        "raw": view.raw,
    }


def _period_context(request: Request, report: DailyReport, zone: ZoneInfo) -> dict[str, Any]:
    t = partial(translate, page_language(request))
    return {
        "report": report,
        "tiles": view.summary_tiles(report.total, t),
        "charts": view.breakdowns(report.total, t),
        "percent": view.percent,
        "seconds": view.seconds,
        "score": view.score,
        "day": partial(view.day, zone=zone),
        "series": view.series,
        "raw": view.raw,
    }


@router.get("/dashboard", response_class=HTMLResponse)
async def dashboard(
    request: Request,
    session: SupervisorPage,
    store: TicketStoreDep,
    routing: RouterDep,
    zone: BankZoneDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: DayQuery = None,
) -> HTMLResponse:
    """The supervisor's dashboard: live, or the days asked for (the bank's days)."""
    context: dict[str, Any] = {"from_": from_ or "", "to": to or "", "refresh": REFRESH_SECONDS}
    if not from_ and not to:
        wall = await read_wall(routing=routing, store=store, now=time.time(), zone=zone)
        return render(request, "dashboard.html", {**context, **_wall_context(request, wall)})
    try:
        report = await daily_report(store, from_, to, zone=zone)
    except HTTPException as exc:
        # Bad dates: say so on the page, keep what was typed (escaped by the template).
        detail: Any = exc.detail
        problem = detail[0]["msg"] if isinstance(detail, list) else str(detail)
        return render(request, "dashboard.html", {**context, "error": problem}, status_code=422)
    return render(request, "dashboard.html", {**context, **_period_context(request, report, zone)})


@router.get("/dashboard/wall", response_class=HTMLResponse)
async def wall_panels(
    request: Request,
    session: SupervisorPage,
    store: TicketStoreDep,
    routing: RouterDep,
    zone: BankZoneDep,
) -> HTMLResponse:
    """The live panels alone, drawn as the page draws them (the script swaps them in)."""
    wall = await read_wall(routing=routing, store=store, now=time.time(), zone=zone)
    return render(request, "dashboard_wall.html", _wall_context(request, wall))


@router.get("/dashboard/report.csv")
async def report_csv(
    session: SupervisorPage,
    store: TicketStoreDep,
    zone: BankZoneDep,
    from_: Annotated[str | None, Query(alias="from", max_length=40)] = None,
    to: DayQuery = None,
) -> Response:
    """The days shown, as CSV (the same as GET /api/reports/daily.csv)."""
    return csv_response(await daily_report(store, from_, to, zone=zone))
