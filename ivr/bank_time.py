"""The bank's time zone: where its days begin, and what a date or time someone typed means.

A contact centre counts its service level per local business day: a supervisor
in Shanghai asking for 2026-12-04 means Shanghai's 4 December, which began at
2026-12-03T16:00Z, and "today" on the wall must not still hold yesterday
afternoon's calls at 08:30. Reports, pages, the API's dates and routing's
"calls today" all take their day boundaries from these functions, with the zone
of `Settings.zone` (IVR_TIMEZONE) passed in from where the service is wired.

Day arithmetic goes through local dates, never through 86 400-second steps, so a
zone with daylight saving keeps its 23- and 25-hour days.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.errors import ConfigError

UTC = ZoneInfo("UTC")


def zone(name: str) -> ZoneInfo:
    """The time zone called `name` (IANA, e.g. Asia/Shanghai, or UTC); ConfigError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r} (use an IANA name such as Asia/Shanghai)"
        ) from exc


def local_date(at: float, tz: ZoneInfo) -> dt.date:
    """The bank's date at the instant `at` (epoch seconds)."""
    return dt.datetime.fromtimestamp(at, tz).date()


def date_start(day: dt.date, tz: ZoneInfo) -> float:
    """The first instant of the bank's day `day`, as epoch seconds."""
    # A midnight skipped by daylight saving reads with the offset before the jump,
    # which is the jump's own instant: still the day's first moment.
    return dt.datetime.combine(day, dt.time(), tzinfo=tz).timestamp()


def day_start(at: float, tz: ZoneInfo) -> float:
    """The start (local midnight) of the bank's day holding `at`."""
    return date_start(local_date(at, tz), tz)


def next_day_start(at: float, tz: ZoneInfo) -> float:
    """The start of the bank's day after the one holding `at`."""
    return date_start(local_date(at, tz) + dt.timedelta(days=1), tz)


def days_before(at: float, days: int, tz: ZoneInfo) -> float:
    """The same wall-clock time `days` of the bank's days before `at`."""
    # Aware datetimes sharing a tzinfo subtract on the wall clock; timestamp() re-reads
    # the offset, so a week before 00:00 is 00:00 across a daylight-saving change too.
    return (dt.datetime.fromtimestamp(at, tz) - dt.timedelta(days=days)).timestamp()


def as_epoch(when: dt.datetime, tz: ZoneInfo) -> float:
    """`when` as epoch seconds: an explicit offset as given, a naive time on the bank's clock."""
    return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()


def local_iso(at: float, tz: ZoneInfo) -> str:
    """`at` as ISO 8601 on the bank's clock, with its offset ("2026-12-04T00:00:00+08:00")."""
    text = dt.datetime.fromtimestamp(at, tz).isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
