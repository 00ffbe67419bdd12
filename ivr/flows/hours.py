"""Business hours: is the hotline open at a given moment?

Spans are wall-clock times in the node's time zone. A span whose end is
before its start crosses midnight ("22:00-02:00" on Friday runs into
Saturday) and belongs to the day it starts: a holiday closes the spans that
start on it, and an overnight span from the evening before still runs.
"24:00" as an end means midnight.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ivr.bank_time import zone
from ivr.flows.model import WEEKDAYS, Flow, HoursNode

MINUTES_PER_DAY = 24 * 60


def parse_span(span: str) -> tuple[int, int]:
    """Minutes after midnight of a span's start and end ("08:30-17:00" -> (510, 1020))."""
    start, _, end = span.partition("-")
    return _minutes(start), _minutes(end)


def _minutes(clock: str) -> int:
    hours, _, minutes = clock.strip().partition(":")
    return int(hours) * 60 + int(minutes)


def span_problem(span: str) -> str | None:
    """Why a well-formed span cannot be used, or None."""
    start, end = parse_span(span)
    if start == end:
        return f"{span!r} is empty (start equals end)"
    if start == MINUTES_PER_DAY:
        return f"{span!r} starts at 24:00; write 00:00 of the next day"
    return None


def _spans(node: HoursNode, day: dt.date) -> list[tuple[int, int]]:
    if day in node.holidays:
        return []
    return [parse_span(span) for span in node.weekly.get(WEEKDAYS[day.weekday()], [])]


def is_open(node: HoursNode, at: dt.datetime) -> bool:
    """Whether `at` falls in the opening hours of `node` (a naive `at` is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    local = at.astimezone(zone(node.timezone))
    minute = local.hour * 60 + local.minute
    today = local.date()
    for start, end in _spans(node, today):
        if start < end and start <= minute < end:
            return True
        if start > end and minute >= start:
            return True
    # The tail of last evening's span that runs past midnight.
    return any(
        start > end and minute < end for start, end in _spans(node, today - dt.timedelta(days=1))
    )


def next_open(node: HoursNode, at: dt.datetime, *, days: int = 14) -> dt.datetime | None:
    """When the hotline next opens at or after `at` (in the node's zone); None if not in `days`."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    if is_open(node, at):
        return at
    tz = zone(node.timezone)
    local = at.astimezone(tz)
    for offset in range(days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for start, _end in sorted(_spans(node, day)):
            opening = dt.datetime.combine(day, dt.time(start // 60, start % 60), tzinfo=tz)
            if opening > local:
                return opening
    return None


def zones_apart(flows: Mapping[str, Flow], bank_zone: str) -> list[str]:
    """Each hours node keeping its opening hours in a zone other than the bank's, described.

    Reports count the bank's days (IVR_TIMEZONE); a flow open 08:00-22:00 in another
    zone is allowed (a branch abroad), but at start the service says so, since it is
    more often a setting forgotten on one side.
    """
    return [
        f"flow {name!r}, node {node_id!r}: opening hours in {node.timezone}"
        for name, flow in sorted(flows.items())
        for node_id, node in flow.nodes.items()
        if isinstance(node, HoursNode) and node.timezone != bank_zone
    ]
