"""The supervisor's figures, each defined once: by hand, and on real SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ivr.events import CallEvent, event_id
from ivr.tickets.report_csv import report_csv
from ivr.tickets.report_rows import report_tickets
from ivr.tickets.reports import (
    abandonment_rate,
    counts,
    daily,
    day_count,
    day_start,
    days,
    overdue_callbacks,
    service_level,
    summarize,
)
from ivr.tickets.store import TicketStore
from ivr.tickets.views import CallbackView, TicketView
from tests.tickets.conftest import answered_call

# These tests count UTC days unless their name says another zone.
UTC_ZONE = ZoneInfo("UTC")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DAY1 = 1_800_000_000.0 - 8 * 3600  # 2027-01-15T00:00:00Z
DAY2 = DAY1 + 86_400


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _ticket(**fields: Any) -> TicketView:
    return TicketView(
        id="t", call_sid="c", created_at=fields.pop("created_at", DAY1), updated_at=0.0, **fields
    )


def test_service_level_counts_a_wait_of_exactly_twenty_seconds_in_time() -> None:
    tickets = [
        _ticket(outcome="answered", queue_seconds=20.0),
        _ticket(outcome="answered", queue_seconds=20.1),
        _ticket(outcome="answered", queue_seconds=None),  # straight through to an agent
        _ticket(outcome="abandoned", queue_seconds=3.0),
        _ticket(outcome="callback", queue_seconds=400.0),  # not offered to an agent
        _ticket(outcome="self_service"),
    ]
    assert service_level(tickets) == pytest.approx(2 / 4)
    assert service_level(tickets, seconds=30) == pytest.approx(3 / 4)
    assert abandonment_rate(tickets) == pytest.approx(1 / 4)
    assert service_level([_ticket(outcome="self_service")]) is None


def test_counts_name_what_was_never_read_and_calls_still_going() -> None:
    assert counts(["loans", None, "loans", "general"]) == {"loans": 2, "unknown": 1, "general": 1}
    s = summarize([_ticket(topic="loans"), _ticket(topic="loans", outcome="answered")])
    assert s.by_outcome == {"in_progress": 1, "answered": 1}
    assert s.by_emotion == {"unknown": 2}


def test_overdue_callbacks_are_due_and_past_their_time() -> None:
    def cb(due_at: float, status: str = "due") -> CallbackView:
        return CallbackView(
            id=f"cb{due_at}",
            ticket_id="t",
            number="+1",
            language="en-US",
            topic="loans",
            emotion="neutral",
            agent_id=None,
            due_at=due_at,
            status=status,
        )

    callbacks = [cb(100.0), cb(199.9), cb(200.0), cb(300.0), cb(50.0, status="done")]
    assert overdue_callbacks(callbacks, now=200.0) == 2


def test_utc_days_clipped_to_the_period() -> None:
    z = UTC_ZONE
    assert days(DAY1 + 3600, DAY2 + 7200, zone=z) == [(DAY1 + 3600, DAY2), (DAY2, DAY2 + 7200)]
    assert days(DAY1, DAY1, zone=z) == []
    assert len(days(DAY1, DAY1 + 7 * 86_400, zone=z)) == 7


def test_a_call_after_shanghai_midnight_is_on_the_next_day_there_and_not_in_utc() -> None:
    call = _at("2026-12-03T16:30:00+00:00")
    assert day_start(call, zone=SHANGHAI) == _at("2026-12-04T00:00:00+08:00")
    assert day_start(call, zone=UTC_ZONE) == _at("2026-12-03T00:00:00+00:00")
    just_before = _at("2026-12-03T15:59:59+00:00")  # 23:59:59 in Shanghai
    assert day_start(just_before, zone=SHANGHAI) == _at("2026-12-03T00:00:00+08:00")

    since, until = _at("2026-12-03T00:00:00+08:00"), _at("2026-12-05T00:00:00+08:00")
    tickets = [
        _ticket(created_at=just_before, outcome="answered", queue_seconds=5.0),
        _ticket(created_at=call, outcome="abandoned", queue_seconds=60.0),
    ]
    shanghai = daily(tickets, since=since, until=until, zone=SHANGHAI)
    assert shanghai.timezone == "Asia/Shanghai"
    assert [d.period_from for d in shanghai.days] == [since, _at("2026-12-04T00:00:00+08:00")]
    assert [d.calls for d in shanghai.days] == [1, 1]
    assert [d.abandoned for d in shanghai.days] == [0, 1]
    # Counted on UTC days, both calls fall on 3 December.
    on_utc = daily(tickets, since=_at("2026-12-03T00:00:00Z"), until=until, zone=UTC_ZONE)
    assert [d.calls for d in on_utc.days] == [2, 0]
    assert on_utc.timezone == "UTC"

    rows = list(csv.DictReader(io.StringIO(report_csv(shanghai))))
    assert [r["day"] for r in rows] == ["2026-12-03", "2026-12-04", "total"]
    assert (rows[1]["from"], rows[1]["to"]) == (
        "2026-12-04T00:00:00+08:00",
        "2026-12-05T00:00:00+08:00",
    )
    assert {r["timezone"] for r in rows} == {"Asia/Shanghai"}
    assert rows[1]["outcome.abandoned"] == "1"


def test_new_york_days_keep_their_25_hours_when_the_clocks_go_back() -> None:
    since = _at("2026-10-31T00:00:00-04:00")
    until = _at("2026-11-03T00:00:00-05:00")
    periods = days(since, until, zone=NEW_YORK)
    assert [round((end - start) / 3600) for start, end in periods] == [24, 25, 24]
    assert periods[2][0] == _at("2026-11-02T00:00:00-05:00")
    assert day_count(since, until, zone=NEW_YORK) == len(periods) == 3
    assert day_count(since + 3600, until - 3600, zone=NEW_YORK) == 3
    assert day_count(since, since, zone=NEW_YORK) == 0
    assert datetime.fromtimestamp(periods[1][1], UTC).hour == 5  # midnight, EST


def test_daily_splits_by_day_and_the_total_is_the_whole_period() -> None:
    tickets = [
        _ticket(created_at=DAY1 + 10, outcome="answered", queue_seconds=5.0, topic="loans"),
        _ticket(created_at=DAY2 - 0.001, outcome="abandoned", queue_seconds=50.0),
        _ticket(created_at=DAY2, outcome="answered", queue_seconds=40.0, csat=2),
    ]
    report = daily(tickets, since=DAY1, until=DAY2 + 86_400, zone=UTC_ZONE)
    first, second = report.days
    assert (first.calls, first.service_level, first.abandonment_rate) == (2, 0.5, 0.5)
    assert (second.calls, second.service_level, second.csat_avg) == (1, 0.0, 2.0)
    assert report.total == summarize(tickets, period_from=DAY1, period_to=DAY2 + 86_400)
    assert report.total.queue_seconds_p90 == 50.0


def test_csv_has_a_row_per_day_a_total_and_fixed_columns() -> None:
    tickets = [
        _ticket(created_at=DAY1 + 10, outcome="answered", queue_seconds=5.0, topic="loans", csat=5),
        _ticket(created_at=DAY2 + 10, outcome="abandoned", queue_seconds=30.0, topic="=cmd()"),
    ]
    rows = list(
        csv.DictReader(
            io.StringIO(report_csv(daily(tickets, since=DAY1, until=DAY2 + 86_400, zone=UTC_ZONE)))
        )
    )
    assert [r["day"] for r in rows] == ["2027-01-15", "2027-01-16", "total"]
    assert rows[0]["from"] == "2027-01-15T00:00:00Z"
    assert rows[0]["timezone"] == "UTC"
    assert (rows[0]["service_level"], rows[0]["topic.loans"], rows[0]["csat_avg"]) == (
        "1",
        "1",
        "5",
    )
    assert (rows[1]["abandonment_rate"], rows[1]["topic.loans"], rows[1]["csat_avg"]) == (
        "1",
        "0",
        "",
    )
    assert rows[2]["calls"] == "2" and rows[2]["service_level"] == "0.5"
    # Every contract topic has its column even when nobody called about it ...
    assert rows[2]["topic.fraud_dispute"] == "0"
    # ... and a label outside the contract gets one too.
    assert rows[1]["topic.=cmd()"] == "1"


def _events(sid: str, at: float, steps: list[tuple[str, float, dict[str, Any]]]) -> list[CallEvent]:
    return [
        CallEvent(id=event_id(sid, "s", i), call_sid=sid, at=at + dt, type=kind, data=data)
        for i, (kind, dt, data) in enumerate(steps)
    ]


def _read(topic: str, emotion: str) -> tuple[str, float, dict[str, Any]]:
    return ("nlu.read", 1, {"topic": topic, "emotion": emotion, "emotion_intensity": 0.8})


def _abandoned(sid: str, at: float, wait: float) -> list[CallEvent]:
    return _events(
        sid,
        at,
        [
            ("call.started", 0, {"caller": "+14155550111"}),
            _read("complaint", "angry"),
            ("queue.joined", 2, {"queue": "complaint.en-US"}),
            ("call.ended", 2 + wait, {"status": "completed"}),
        ],
    )


def _callback(sid: str, at: float, due: float) -> list[CallEvent]:
    return _events(
        sid,
        at,
        [
            ("call.started", 0, {"caller": "+14155550122"}),
            _read("loans", "neutral"),
            ("queue.joined", 2, {"queue": "loans.en-US"}),
            ("queue.left", 302, {"queue": "loans.en-US", "reason": "callback"}),
            ("callback.requested", 303, {"number": "+14155550122", "due_at": due}),
            ("call.ended", 310, {"status": "completed"}),
        ],
    )


def _self_service(sid: str, at: float) -> list[CallEvent]:
    return _events(
        sid,
        at,
        [
            ("call.started", 0, {"caller": "+14155550133"}),
            _read("account_inquiry", "neutral"),
            ("self_service.completed", 30, {"node": "balance"}),
            ("call.ended", 31, {"status": "completed"}),
        ],
    )


async def test_figures_from_the_store_on_each_database(store: TicketStore) -> None:
    """Calls of every kind over two days, persisted as the service does, then reported."""
    morning = DAY1 + 9 * 3600
    await store.persist(answered_call("CA-quick", t0=morning, queue_wait=4.0, csat=5))
    await store.persist(answered_call("CA-slow", t0=morning + 600, queue_wait=45.0, csat=2))
    await store.persist(_abandoned("CA-gone", morning + 900, wait=70.0))
    await store.persist(_callback("CA-later", morning + 1200, due=morning + 3600))
    await store.persist(_self_service("CA-menu", morning + 1500))
    await store.persist(answered_call("CA-next-day", t0=DAY2 + 3600, queue_wait=1.0, csat=None))
    await store.persist(_events("CA-now", DAY2 + 7200, [("call.started", 0, {"caller": "+1"})]))

    report = daily(
        await report_tickets(store, DAY1, DAY2 + 86_400),
        since=DAY1,
        until=DAY2 + 86_400,
        zone=UTC_ZONE,
    )
    # The reports' narrow read gives the figures the whole tickets give.
    whole = await store.between(DAY1, DAY2 + 86_400)
    assert report == daily(whole, since=DAY1, until=DAY2 + 86_400, zone=UTC_ZONE)
    assert [t.call_sid for t in await report_tickets(store, DAY2, None)] == [
        "CA-next-day",
        "CA-now",
    ]
    first, second = report.days
    assert first.calls == 5
    assert first.by_outcome == {
        "answered": 2,
        "abandoned": 1,
        "callback": 1,
        "self_service": 1,
    }
    assert first.by_topic == {
        "lost_stolen_card": 2,
        "complaint": 1,
        "loans": 1,
        "account_inquiry": 1,
    }
    assert first.by_emotion == {"anxious": 2, "neutral": 2, "angry": 1}
    assert (first.answered, first.abandoned, first.answered_in_time) == (2, 1, 1)
    assert first.service_level == pytest.approx(1 / 3)
    assert first.abandonment_rate == pytest.approx(1 / 3)
    # Waits: 4, 45, 70 (abandoned) and 300 (until the callback was taken).
    assert first.queue_seconds_avg == pytest.approx((4 + 45 + 70 + 300) / 4)
    assert first.queue_seconds_p90 == pytest.approx(300)
    assert first.handle_seconds_avg == pytest.approx(80)
    assert (first.csat_avg, first.csat_responses) == (pytest.approx(3.5), 2)
    assert second.by_outcome == {"answered": 1, "in_progress": 1}
    assert second.by_topic == {"lost_stolen_card": 1, "unknown": 1}
    assert report.total.calls == 7

    assert overdue_callbacks(await store.callbacks(now=morning + 3599), now=morning + 3599) == 0
    assert overdue_callbacks(await store.callbacks(now=morning + 3601), now=morning + 3601) == 1
