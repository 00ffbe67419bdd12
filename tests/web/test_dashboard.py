"""/dashboard without a browser: who may see it, its numbers against the reports API, escaping,
past days and their CSV."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import reports
from ivr.bank_time import day_start
from ivr.config import Settings
from ivr.ids import AgentState
from ivr.keys import Keys
from ivr.routing.models import Agent, RoutingRequest
from ivr.routing.policy import load_policy
from ivr.routing.router import Router
from ivr.security import Role
from ivr.tickets.reports import ReportSummary
from ivr.tickets.store import TicketStore
from ivr.web.dashboard.charts import bar_chart
from ivr.web.dashboard.view import series
from ivr.web.site import add_pages
from tests.tickets.conftest import answered_call
from tests.web.conftest import csrf_in

DAY1 = 1_800_000_000.0 - 8 * 3600  # 2027-01-15T00:00:00Z, 08:00 in Shanghai
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Floor:
    page: httpx.AsyncClient  # a browser's cookies, signed out at first
    api: httpx.AsyncClient  # the reports API with a supervisor's token
    store: TicketStore
    router: Router
    tokens: dict[str, str]

    async def sign_in(self, role: str) -> None:
        form = await self.page.get("/signin")
        answer = await self.page.post(
            "/signin", data={"token": self.tokens[role], "csrf": csrf_in(form.text), "next": ""}
        )
        assert answer.status_code == 303, answer.text


@pytest.fixture
async def floor(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Floor]:
    """The pages and the reports API over real Redis, SQLite and the shipped routing policy,
    for a bank in Shanghai (IVR_TIMEZONE=Asia/Shanghai)."""
    settings.timezone = "Asia/Shanghai"
    store = await TicketStore.open(settings.database_url)
    router = Router(
        redis=redis, keys=keys, policy=load_policy(settings.routing_dir / "policy.yaml")
    )
    app = FastAPI()
    add_pages(app)
    app.include_router(reports.router)
    app.state.settings, app.state.redis, app.state.keys = settings, redis, keys
    app.state.tickets, app.state.router = store, router
    tokens = {
        "supervisor": (await store.create_token(Role.SUPERVISOR))[0],
        "agent": (await store.create_token(Role.AGENT, agent_id="amy"))[0],
    }
    transport = httpx.ASGITransport(app=app)
    base = "http://testserver"
    async with (
        httpx.AsyncClient(
            transport=transport, base_url=base, headers={"Accept": "text/html"}
        ) as page,
        httpx.AsyncClient(
            transport=transport,
            base_url=base,
            headers={"Authorization": f"Bearer {tokens['supervisor']}"},
        ) as api,
    ):
        yield Floor(page, api, store, router, tokens)
    await store.close()


def figures(html: str) -> dict[str, str]:
    """Each tile's figure id and the raw value it carries."""
    return dict(re.findall(r'data-figure="([a-z_0-9]+)" data-value="([^"]*)"', html))


def _same(page_value: str, api_value: object) -> bool:
    return page_value == "" if api_value is None else float(page_value) == api_value


async def test_only_supervisors_and_admins_see_the_dashboard(floor: Floor) -> None:
    signed_out = await floor.page.get("/dashboard")
    assert (signed_out.status_code, signed_out.headers["location"]) == (
        303,
        "/signin?next=/dashboard",
    )
    await floor.sign_in("agent")
    assert (await floor.page.get("/dashboard")).status_code == 403
    assert (await floor.page.get("/dashboard/wall")).status_code == 403
    assert (await floor.page.get("/dashboard/report.csv")).status_code == 403


async def test_the_live_page_shows_what_the_reports_api_says(floor: Floor) -> None:
    now = time.time()
    midnight = day_start(now, SHANGHAI)
    # Calls today in Shanghai: a quarter and ten minutes ago, or just after its midnight.
    t1, t2 = max(now - 900, midnight), max(now - 600, midnight + 1)
    await floor.store.persist(answered_call("CA1", t0=t1, queue_wait=5.0, csat=5))
    await floor.store.persist(answered_call("CA2", t0=t2, queue_wait=50.0, csat=2))
    # A name is whatever an admin typed: the page shows it as text, never as markup.
    evil = Agent(
        id="amy",
        name='<img src=x onerror="alert(1)">Amy',
        endpoint="client",
        languages=["en-US"],
        skills={"loans": 4},
    )
    await floor.router.add_agent(evil, state=AgentState.AWAY)
    await floor.router.route(
        RoutingRequest(
            call_sid="CA-wait",
            caller="+15550001111",
            language="en-US",
            topic="loans",
            emotion="angry",
            emotion_intensity=0.9,
            entered_at=now - 30,
        )
    )
    await floor.sign_in("supervisor")
    page = await floor.page.get("/dashboard")
    assert page.status_code == 200
    assert "Content-Security-Policy" in page.headers
    assert "<img src=x" not in page.text and "&lt;img src=x" in page.text
    assert "<script>" not in page.text  # scripts come from files only

    assert "Today (Asia/Shanghai)" in page.text
    assert '<html lang="en-US" data-timezone="Asia/Shanghai">' in page.text
    today = datetime.fromtimestamp(now, SHANGHAI).date().isoformat()
    summary = (await floor.api.get(f"/api/reports/summary?from={today}")).json()
    shown = figures(page.text)
    for key in ("calls", "answered", "abandoned", "service_level", "abandonment_rate"):
        assert _same(shown[key], summary[key]), key
    for key in ("queue_seconds_avg", "queue_seconds_p90", "handle_seconds_avg", "csat_avg"):
        assert _same(shown[key], summary[key]), key
    assert summary["service_level"] == 0.5 and "50.0%" in page.text
    live = (await floor.api.get("/api/reports/live")).json()
    assert (
        (shown["waiting"], shown["upset_waiting"])
        == ("1", "1")
        == (
            str(live["waiting"]),
            str(live["upset_waiting"]),
        )
    )
    assert 'data-queue="loans.en-US"' in page.text
    assert 'data-state="away" data-count="1"' in page.text

    # The panels the script swaps in are drawn by the same code.
    panels = await floor.page.get("/dashboard/wall")
    assert panels.status_code == 200 and "<html" not in panels.text
    assert figures(panels.text)["service_level"] == shown["service_level"]


async def test_the_page_speaks_chinese(floor: Floor) -> None:
    await floor.sign_in("supervisor")
    floor.page.cookies.set("ivr_lang", "zh-CN")
    page = await floor.page.get("/dashboard")
    assert "主管看板" in page.text and "20 秒内接听" in page.text
    assert "今日（Asia/Shanghai）" in page.text


async def test_past_days_their_csv_and_bad_dates(floor: Floor) -> None:
    await floor.store.persist(answered_call("CA1", t0=DAY1 + 3600, queue_wait=5.0, csat=4))
    await floor.store.persist(answered_call("CA2", t0=DAY1 + 90_000, queue_wait=30.0, csat=None))
    # 23:30 on the 14th in UTC is 07:30 on the 15th in Shanghai: a call of the 15th here.
    await floor.store.persist(answered_call("CA3", t0=DAY1 - 1800, queue_wait=2.0, csat=None))
    await floor.sign_in("supervisor")
    page = await floor.page.get("/dashboard?from=2027-01-15&to=2027-01-17")
    assert page.status_code == 200
    assert "Days and times in Asia/Shanghai" in page.text
    assert f'data-day="{DAY1 - 8 * 3600}"' in page.text  # the 15th began at 16:00 UTC on the 14th
    assert [d for d in re.findall(r'class="day">([^<]+)<', page.text)] == [
        "2027-01-15",
        "2027-01-16",
    ]
    total = (await floor.api.get("/api/reports/summary?from=2027-01-15&to=2027-01-17")).json()
    assert total["calls"] == 3
    shown = figures(page.text)
    for key in ("calls", "service_level", "queue_seconds_avg", "csat_avg"):
        assert _same(shown[key], total[key]), key
    assert "/dashboard/report.csv?from=2027-01-15&amp;to=2027-01-17" in page.text

    csv_page = await floor.page.get("/dashboard/report.csv?from=2027-01-15&to=2027-01-17")
    csv_api = await floor.api.get("/api/reports/daily.csv?from=2027-01-15&to=2027-01-17")
    assert csv_page.status_code == 200 and csv_page.text == csv_api.text

    bad = await floor.page.get("/dashboard?from=<b>soon</b>&to=2027-01-17")
    assert bad.status_code == 422
    assert "Please check the dates" in bad.text
    assert 'value="&lt;b&gt;soon&lt;/b&gt;"' in bad.text  # kept, and escaped


def test_bar_charts_put_the_contract_order_first_and_scale_to_the_largest() -> None:
    chart = bar_chart(
        {"odd": 5, "loans": 2, "general": 4, "complaint": 0},
        label=str.upper,
        order=["loans", "complaint", "general"],
    )
    assert [(b.key, b.label, b.count) for b in chart.bars] == [
        ("loans", "LOANS", 2),
        ("general", "GENERAL", 4),
        ("odd", "ODD", 5),
    ]
    assert [b.width for b in chart.bars] == [88, 176, 220]
    assert chart.total == 11 and chart.height == 3 * chart.bars[1].y
    assert bar_chart({}, label=str).bars == ()


def test_a_day_with_no_service_level_is_blank_and_zero_stays_zero() -> None:
    days = [ReportSummary(service_level=0.0), ReportSummary(), ReportSummary(service_level=0.5)]
    assert series(days, "service_level") == "0.0,,0.5"
