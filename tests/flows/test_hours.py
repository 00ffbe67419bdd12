"""Business hours: time zones, holidays, spans across midnight, the edges of a span."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ivr.errors import ConfigError
from ivr.flows.hours import is_open, parse_span, span_problem
from ivr.flows.model import HoursNode

UTC = dt.UTC


def hours(**fields: Any) -> HoursNode:
    base: dict[str, Any] = {"type": "hours", "open": "o", "closed": "c"}
    return HoursNode.model_validate(base | fields)


SHANGHAI = hours(
    timezone="Asia/Shanghai",
    weekly={"mon": ["08:00-12:00", "13:00-18:00"], "sat": ["09:00-24:00"]},
    holidays=["2026-10-05"],
)


def utc(year: int, month: int, day: int, hour: int, minute: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_open_inside_a_span_in_the_node_time_zone() -> None:
    # Monday 2026-11-30 10:00 in Shanghai is 02:00 UTC.
    assert is_open(SHANGHAI, utc(2026, 11, 30, 2, 0))
    # 12:30 in Shanghai falls in the lunch gap.
    assert not is_open(SHANGHAI, utc(2026, 11, 30, 4, 30))


def test_span_start_is_open_and_end_is_closed() -> None:
    assert is_open(SHANGHAI, utc(2026, 11, 30, 0, 0))  # 08:00 local
    assert not is_open(SHANGHAI, utc(2026, 11, 29, 23, 59))  # Monday 07:59 local
    assert not is_open(SHANGHAI, utc(2026, 11, 30, 10, 0))  # 18:00 local


def test_the_local_day_decides_not_the_utc_day() -> None:
    # Sunday 2026-11-29 22:00 UTC is Monday 06:00 in Shanghai: closed (opens 08:00).
    assert not is_open(SHANGHAI, utc(2026, 11, 29, 22, 0))
    # Sunday 2026-11-29 23:30 UTC is Monday 07:30; 00:30 UTC Monday is 08:30 local: open.
    assert is_open(SHANGHAI, utc(2026, 11, 30, 0, 30))


def test_a_holiday_closes_the_whole_local_day() -> None:
    # Monday 2026-10-05 is a holiday: 10:00 local (02:00 UTC) is closed.
    assert not is_open(SHANGHAI, utc(2026, 10, 5, 2, 0))
    # The Monday after is a normal day.
    assert is_open(SHANGHAI, utc(2026, 10, 12, 2, 0))


def test_24_00_means_midnight() -> None:
    # Saturday 2026-12-05 23:59 local is open; Sunday 00:00 is closed.
    assert is_open(SHANGHAI, utc(2026, 12, 5, 15, 59))
    assert not is_open(SHANGHAI, utc(2026, 12, 5, 16, 0))


def test_daylight_saving_time_follows_the_wall_clock() -> None:
    new_york = hours(timezone="America/New_York", weekly={"mon": ["08:00-17:00"]})
    # Monday 2026-03-09, the day after clocks went forward: 12:30 UTC is 08:30 EDT.
    assert is_open(new_york, utc(2026, 3, 9, 12, 30))
    # The Monday before, 12:30 UTC was 07:30 EST.
    assert not is_open(new_york, utc(2026, 3, 2, 12, 30))


def test_a_span_crossing_midnight_runs_into_the_next_day() -> None:
    night = hours(timezone="UTC", weekly={"fri": ["22:00-02:00"]})
    assert is_open(night, utc(2026, 12, 4, 23, 0))  # Friday 23:00
    assert is_open(night, utc(2026, 12, 5, 1, 59))  # Saturday 01:59
    assert not is_open(night, utc(2026, 12, 5, 2, 0))  # Saturday 02:00
    assert not is_open(night, utc(2026, 12, 4, 21, 59))  # Friday 21:59
    assert not is_open(night, utc(2026, 12, 4, 1, 0))  # Friday 01:00: Thursday had no span


def test_an_overnight_span_belongs_to_the_day_it_starts() -> None:
    friday_off = hours(timezone="UTC", weekly={"fri": ["22:00-02:00"]}, holidays=["2026-12-04"])
    assert not is_open(friday_off, utc(2026, 12, 4, 23, 0))
    assert not is_open(friday_off, utc(2026, 12, 5, 1, 0))
    saturday_off = hours(timezone="UTC", weekly={"fri": ["22:00-02:00"]}, holidays=["2026-12-05"])
    assert is_open(saturday_off, utc(2026, 12, 5, 1, 0))


def test_a_naive_moment_is_taken_as_utc() -> None:
    london = hours(timezone="UTC", weekly={"mon": ["08:00-09:00"]})
    assert is_open(london, dt.datetime(2026, 11, 30, 8, 30))
    assert not is_open(london, dt.datetime(2026, 11, 30, 9, 30))


def test_an_unknown_time_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        is_open(hours(timezone="Nowhere/Atlantis", weekly={}), utc(2026, 1, 1, 0, 0))


def test_spans_parse_and_report_their_problems() -> None:
    assert parse_span("08:30-17:00") == (510, 1020)
    assert parse_span("22:00-02:00") == (1320, 120)
    assert span_problem("08:00-08:00") is not None
    assert span_problem("22:00-02:00") is None
    assert span_problem("00:00-24:00") is None


def test_next_open_is_the_next_opening_in_the_banks_zone() -> None:
    from ivr.flows.hours import next_open
    from ivr.flows.model import HoursNode

    node = HoursNode(
        type="hours",
        timezone="Asia/Shanghai",
        weekly={"mon": ["08:00-22:00"], "sat": ["09:00-18:00"]},
        holidays=[dt.date(2026, 11, 30)],
        open="a",
        closed="b",
    )
    # Saturday 28 Nov 2026, 23:00 in Shanghai: closed; Sunday has no hours and Monday
    # 30 Nov is a holiday, so the next opening is Saturday 5 Dec 09:00 Shanghai time.
    late_saturday = dt.datetime(2026, 11, 28, 15, 0, tzinfo=dt.UTC)
    opening = next_open(node, late_saturday)
    assert opening is not None
    assert opening.isoformat() == "2026-12-05T09:00:00+08:00"
    # While open, it is open now.
    saturday_noon = dt.datetime(2026, 11, 28, 4, 0, tzinfo=dt.UTC)
    assert next_open(node, saturday_noon) == saturday_noon
    assert next_open(node.model_copy(update={"weekly": {}}), late_saturday) is None
