"""The period summary: counts, queue and handle times, abandonment, service level, CSAT."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import reports
from ivr.bank_time import next_day_start
from ivr.config import Settings
from ivr.events import CallEvent, event_id
from ivr.keys import Keys
from ivr.security import Role
from ivr.tickets.reports import percentile, summarize
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketView

T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(i) for i in range(1, 11)], 90) == 9.0
    assert percentile([float(i) for i in range(1, 11)], 100) == 10.0


def _ticket(**fields: Any) -> TicketView:
    return TicketView(id="t", call_sid="c", created_at=0.0, updated_at=0.0, **fields)


def test_summary_arithmetic() -> None:
    tickets = [
        _ticket(
            topic="loans",
            emotion="neutral",
            outcome="answered",
            queue_seconds=5.0,
            handle_seconds=100.0,
            csat=5,
        ),
        _ticket(
            topic="loans",
            emotion="angry",
            outcome="answered",
            queue_seconds=30.0,
            handle_seconds=200.0,
            csat=2,
        ),
        _ticket(topic="complaint", emotion="angry", outcome="abandoned", queue_seconds=90.0),
        _ticket(topic="general", emotion="neutral", outcome="self_service"),
    ]
    s = summarize(tickets)
    assert s.calls == 4
    assert s.by_topic == {"loans": 2, "complaint": 1, "general": 1}
    assert s.by_emotion == {"neutral": 2, "angry": 2}
    assert s.by_outcome == {"answered": 2, "abandoned": 1, "self_service": 1}
    assert s.queue_seconds_avg == pytest.approx(125 / 3)
    assert s.queue_seconds_p90 == 90.0
    assert s.handle_seconds_avg == 150.0
    assert s.abandonment_rate == pytest.approx(1 / 3)
    assert s.service_level == pytest.approx(1 / 3)  # only the 5 s wait was within 20 s
    assert s.csat_avg == 3.5
    assert s.csat_responses == 2


def test_an_empty_period_has_no_rates() -> None:
    s = summarize([])
    assert (s.calls, s.abandonment_rate, s.service_level, s.csat_avg) == (0, None, None, None)


def _call(sid: str, at: float, *, wait: float, answered: bool, csat: int | None) -> list[CallEvent]:
    steps: list[tuple[str, float, dict[str, Any]]] = [
        ("call.started", 0, {"caller": "+1001"}),
        ("nlu.read", 1, {"topic": "loans", "emotion": "neutral", "emotion_intensity": 0.1}),
        ("queue.joined", 2, {"queue": "loans"}),
    ]
    if answered:
        steps += [
            ("queue.left", 2 + wait, {"queue": "loans", "reason": "bridged", "wait_seconds": wait}),
            (
                "agent.result",
                2 + wait + 60,
                {"agent_id": "a1", "dial_status": "completed", "duration": 60},
            ),
        ]
        if csat:
            steps.append(("survey.answered", 2 + wait + 70, {"csat": csat}))
    # A caller who never reached an agent hangs up after waiting `wait` seconds.
    steps.append(("call.ended", 2 + wait + (80 if answered else 0), {"status": "completed"}))
    return [
        CallEvent(id=event_id(sid, "s", i), call_sid=sid, at=at + dt, type=k, data=d)
        for i, (k, dt, d) in enumerate(steps)
    ]


async def _reports_client(
    settings: Settings, redis: aioredis.Redis, keys: Keys, calls: list[list[CallEvent]]
) -> AsyncIterator[httpx.AsyncClient]:
    store = await TicketStore.open(settings.database_url)
    for events in calls:
        await store.persist(events)
    app = FastAPI()
    app.include_router(reports.router)
    app.state.settings, app.state.redis, app.state.keys, app.state.tickets = (
        settings,
        redis,
        keys,
        store,
    )
    token, _ = await store.create_token(Role.SUPERVISOR)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {token}"},
    ) as c:
        yield c
    await store.close()


@pytest.fixture
async def client(
    settings: Settings, redis: aioredis.Redis, keys: Keys
) -> AsyncIterator[httpx.AsyncClient]:
    """The reports router over a store holding a morning's calls, with a supervisor token.

    These tests count UTC days (IVR_TIMEZONE=UTC): 08:00 UTC is the morning.
    """
    settings.timezone = "UTC"
    calls = [
        _call("CA1", T0, wait=10, answered=True, csat=5),
        _call("CA2", T0 + 60, wait=40, answered=True, csat=3),
        _call("CA3", T0 + 120, wait=100, answered=False, csat=None),
        _call("CA4", T0 + 86_400, wait=1, answered=True, csat=1),  # next day
    ]
    async for c in _reports_client(settings, redis, keys, calls):
        yield c


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


@pytest.fixture
async def shanghai(
    settings: Settings, redis: aioredis.Redis, keys: Keys
) -> AsyncIterator[httpx.AsyncClient]:
    """The reports of a bank in Shanghai (IVR_TIMEZONE=Asia/Shanghai), with calls around its
    midnight: 23:50 on 3 December, then 00:30 and 17:00 on the 4th, in Shanghai."""
    settings.timezone = "Asia/Shanghai"
    calls = [
        _call("CA-late", _at("2026-12-03T15:50:00Z"), wait=5, answered=True, csat=5),
        _call("CA-early", _at("2026-12-03T16:30:00Z"), wait=60, answered=False, csat=None),
        _call("CA-day", _at("2026-12-04T09:00:00Z"), wait=15, answered=True, csat=4),
    ]
    async for c in _reports_client(settings, redis, keys, calls):
        yield c


async def test_summary_of_a_day(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/reports/summary?from=2027-01-15&to=2027-01-16")
    assert r.status_code == 200, r.text
    s = r.json()
    assert s["calls"] == 3
    assert s["by_outcome"] == {"answered": 2, "abandoned": 1}
    assert s["by_topic"] == {"loans": 3}
    assert s["queue_seconds_avg"] == pytest.approx((10 + 40 + 100) / 3)
    assert s["queue_seconds_p90"] == pytest.approx(100)
    assert s["handle_seconds_avg"] == pytest.approx(60)
    assert s["abandonment_rate"] == pytest.approx(1 / 3)
    assert s["service_level"] == pytest.approx(1 / 3)
    assert s["csat_avg"] == pytest.approx(4)
    everything = (await client.get("/api/reports/summary")).json()
    assert everything["calls"] == 4


async def test_bad_dates_are_422(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/reports/summary?from=soon")).status_code == 422


async def test_from_after_to_is_422_naming_from(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/reports/summary?from=2026-11-29&to=2026-11-28")
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "from"]
    # An empty period (from == to) is not an error, only empty.
    r = await client.get("/api/reports/summary?from=2027-01-15&to=2027-01-15")
    assert (r.status_code, r.json()["calls"]) == (200, 0)


async def test_day_by_day_and_its_csv_agree_with_the_summary(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/reports/daily?from=2027-01-15&to=2027-01-17")
    assert r.status_code == 200, r.text
    first, second = r.json()["days"]
    summary = (await client.get("/api/reports/summary?from=2027-01-15&to=2027-01-16")).json()
    assert first == summary
    assert (second["calls"], second["service_level"], second["csat_avg"]) == (1, 1.0, 1.0)
    assert r.json()["total"]["calls"] == 4

    exported = await client.get("/api/reports/daily.csv?from=2027-01-15&to=2027-01-17")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "ivr-report-2027-01-15-2027-01-17.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["day"] for row in rows] == ["2027-01-15", "2027-01-16", "total"]
    assert float(rows[0]["service_level"]) == pytest.approx(summary["service_level"], abs=1e-4)
    assert float(rows[0]["queue_seconds_avg"]) == pytest.approx(
        summary["queue_seconds_avg"], abs=1e-4
    )
    assert rows[0]["outcome.abandoned"] == "1"


async def test_a_day_by_day_report_is_at_most_a_year(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/reports/daily?from=2025-01-01&to=2027-01-01")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["query", "from"]
    default = (await client.get("/api/reports/daily")).json()
    assert len(default["days"]) == 7  # the last seven days, today included


async def test_a_date_is_the_banks_day_in_shanghai(shanghai: httpx.AsyncClient) -> None:
    r = await shanghai.get("/api/reports/daily?from=2026-12-03&to=2026-12-05")
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["timezone"] == "Asia/Shanghai"
    first, second = report["days"]
    assert first["period_from"] == _at("2026-12-03T00:00:00+08:00")
    assert second["period_from"] == _at("2026-12-04T00:00:00+08:00")
    assert second["period_to"] == report["total"]["period_to"] == _at("2026-12-05T00:00:00+08:00")
    # 00:30 on the 4th in Shanghai is the 4th's call, though UTC still says the 3rd.
    assert (first["calls"], first["answered"]) == (1, 1)
    assert (second["calls"], second["abandoned"], second["answered"]) == (2, 1, 1)

    day = (await shanghai.get("/api/reports/summary?from=2026-12-04&to=2026-12-05")).json()
    assert day == second
    # A naive date-time is on the bank's clock; an offset or epoch seconds as given.
    for since in ("2026-12-04T00:00:00", "2026-12-03T16:00:00Z", "2026-12-04T00:00:00%2B08:00"):
        assert (await shanghai.get(f"/api/reports/summary?from={since}")).json()["calls"] == 2
    epoch = _at("2026-12-03T16:00:00Z")
    assert (await shanghai.get(f"/api/reports/summary?from={epoch}")).json()["calls"] == 2
    r = await shanghai.get("/api/reports/summary?from=2026-12-03T23:55:00&to=2026-12-04T00:40")
    assert r.json()["calls"] == 1  # the 00:30 call only

    exported = await shanghai.get("/api/reports/daily.csv?from=2026-12-03&to=2026-12-05")
    assert "ivr-report-2026-12-03-2026-12-05.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(row["day"], row["calls"]) for row in rows] == [
        ("2026-12-03", "1"),
        ("2026-12-04", "2"),
        ("total", "3"),
    ]
    assert rows[1]["from"] == "2026-12-04T00:00:00+08:00"
    assert {row["timezone"] for row in rows} == {"Asia/Shanghai"}
    assert exported.text.splitlines()[0].endswith(",timezone")


async def test_the_default_week_ends_at_the_banks_next_midnight(
    shanghai: httpx.AsyncClient,
) -> None:
    before = next_day_start(time.time(), SHANGHAI)
    days = (await shanghai.get("/api/reports/daily")).json()["days"]
    after = next_day_start(time.time(), SHANGHAI)
    assert len(days) == 7
    assert days[-1]["period_to"] in (before, after)  # the same unless midnight passed meanwhile
    for day in days:
        start = datetime.fromtimestamp(day["period_from"], SHANGHAI)
        assert (start.hour, start.minute) == (0, 0)
