"""The bank's days: local midnights, and what a typed date or time means."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.bank_time import (
    as_epoch,
    date_start,
    day_start,
    days_before,
    local_date,
    local_iso,
    next_day_start,
    zone,
)
from ivr.errors import ConfigError

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_half_past_four_utc_on_the_third_is_the_fourth_in_shanghai() -> None:
    at = _at("2026-12-03T16:30:00+00:00")
    assert local_date(at, SHANGHAI) == date(2026, 12, 4)
    assert local_date(at, UTC) == date(2026, 12, 3)
    assert day_start(at, SHANGHAI) == _at("2026-12-03T16:00:00+00:00")
    assert next_day_start(at, SHANGHAI) == _at("2026-12-04T16:00:00+00:00")
    assert day_start(at, UTC) == _at("2026-12-03T00:00:00+00:00")
    # Local midnight itself opens its day, and the instant before it closes the last one.
    midnight = date_start(date(2026, 12, 4), SHANGHAI)
    assert day_start(midnight, SHANGHAI) == midnight
    assert local_date(midnight - 0.001, SHANGHAI) == date(2026, 12, 3)


def test_a_naive_time_is_on_the_banks_clock_and_an_offset_is_honoured() -> None:
    assert as_epoch(datetime(2026, 12, 4, 8, 30), SHANGHAI) == _at("2026-12-04T00:30:00Z")
    assert as_epoch(datetime(2026, 12, 4, 8, 30), UTC) == _at("2026-12-04T08:30:00Z")
    explicit = datetime.fromisoformat("2026-12-04T08:30:00-05:00")
    assert as_epoch(explicit, SHANGHAI) == as_epoch(explicit, UTC) == explicit.timestamp()


def test_times_are_written_on_the_banks_clock_with_their_offset() -> None:
    at = _at("2026-12-03T16:00:00Z")
    assert local_iso(at, SHANGHAI) == "2026-12-04T00:00:00+08:00"
    assert local_iso(at, UTC) == "2026-12-03T16:00:00Z"


def test_a_week_back_keeps_the_wall_clock_across_daylight_saving() -> None:
    # New York's clocks went back on 2026-11-01: that week holds 7 * 24 + 1 hours.
    until = date_start(date(2026, 11, 5), NEW_YORK)
    since = days_before(until, 7, NEW_YORK)
    assert since == date_start(date(2026, 10, 29), NEW_YORK)
    assert until - since == (7 * 24 + 1) * 3600


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../../etc/passwd", "Asia/"])
def test_an_unknown_zone_is_a_config_error_naming_it(name: str) -> None:
    with pytest.raises(ConfigError, match="unknown time zone"):
        zone(name)
