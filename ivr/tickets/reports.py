"""The supervisor's figures: plain functions over tickets and callbacks, each defined once.

The reports API, its CSV export and the dashboard all call these, so a figure
on the page and the same figure from `GET /api/reports/summary` cannot differ.
Days are the bank's days: each starts at midnight in the zone passed in
(IVR_TIMEZONE, wired in by the API and the pages), as the API's dates do.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ivr import bank_time
from ivr.tickets.models import CallbackStatus, Outcome
from ivr.tickets.views import CallbackView, TicketView

SERVICE_LEVEL_SECONDS = 20.0
IN_PROGRESS = "in_progress"  # the outcome of a call that has not ended yet
UNKNOWN = "unknown"  # a topic or emotion never read
MAX_DAYS = 366  # the longest range reported day by day


class ReportSummary(BaseModel):
    """Counts and service figures of the calls that started in [from, to)."""

    period_from: float | None = None
    period_to: float | None = None
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    answered_in_time: int = Field(default=0, description="answered within 20 s of waiting")
    by_topic: dict[str, int] = Field(default_factory=dict)
    by_emotion: dict[str, int] = Field(default_factory=dict)
    by_outcome: dict[str, int] = Field(
        default_factory=dict, description="'in_progress' for calls not ended yet"
    )
    queue_seconds_avg: float | None = None
    queue_seconds_p90: float | None = None
    handle_seconds_avg: float | None = None
    abandonment_rate: float | None = Field(
        default=None, description="abandoned / (answered + abandoned)"
    )
    service_level: float | None = Field(
        default=None,
        description="answered within 20 s of waiting / (answered + abandoned)",
    )
    service_level_seconds: float = SERVICE_LEVEL_SECONDS
    csat_avg: float | None = None
    csat_responses: int = 0


class DailyReport(BaseModel):
    """A period day by day (the bank's days, in `timezone`), and the whole period."""

    days: list[ReportSummary]
    total: ReportSummary
    timezone: str = Field(
        description="the IANA time zone whose midnights divide the days (IVR_TIMEZONE)"
    )


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile (0 < p <= 100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def mean(values: Sequence[float]) -> float | None:
    """The arithmetic mean; None for no values."""
    return sum(values) / len(values) if values else None


def counts(labels: Iterable[str | None], *, missing: str = UNKNOWN) -> dict[str, int]:
    """How often each label occurs, most frequent first; None counts as `missing`."""
    return dict(Counter(label or missing for label in labels).most_common())


def outcome(ticket: TicketView) -> str:
    """How the call ended for the caller, or 'in_progress'."""
    return ticket.outcome or IN_PROGRESS


def waits(tickets: Iterable[TicketView]) -> list[float]:
    """Seconds each caller who queued spent waiting (answered, abandoned or called back)."""
    return [t.queue_seconds for t in tickets if t.queue_seconds is not None]


def handle_times(tickets: Iterable[TicketView]) -> list[float]:
    """Seconds each answered call spent with an agent."""
    return [t.handle_seconds for t in tickets if t.handle_seconds is not None]


def csat_scores(tickets: Iterable[TicketView]) -> list[float]:
    """The survey answers (1..5) given."""
    return [float(t.csat) for t in tickets if t.csat is not None]


def answered(tickets: Iterable[TicketView]) -> list[TicketView]:
    """Calls an agent answered."""
    return [t for t in tickets if t.outcome == Outcome.ANSWERED.value]


def abandoned(tickets: Iterable[TicketView]) -> list[TicketView]:
    """Calls that asked for an agent and hung up before one answered."""
    return [t for t in tickets if t.outcome == Outcome.ABANDONED.value]


def answered_within(tickets: Iterable[TicketView], seconds: float) -> int:
    """Answered calls that waited at most `seconds`."""
    return sum(1 for t in answered(tickets) if (t.queue_seconds or 0.0) <= seconds)


def service_level(
    tickets: Sequence[TicketView], *, seconds: float = SERVICE_LEVEL_SECONDS
) -> float | None:
    """Share of calls offered to agents (answered + abandoned) answered within `seconds`."""
    offered = len(answered(tickets)) + len(abandoned(tickets))
    return answered_within(tickets, seconds) / offered if offered else None


def abandonment_rate(tickets: Sequence[TicketView]) -> float | None:
    """Share of calls offered to agents (answered + abandoned) that were abandoned."""
    lost = len(abandoned(tickets))
    offered = len(answered(tickets)) + lost
    return lost / offered if offered else None


def overdue_callbacks(callbacks: Iterable[CallbackView], *, now: float) -> int:
    """Callbacks still due whose time has passed."""
    return sum(1 for c in callbacks if c.status == CallbackStatus.DUE.value and c.due_at < now)


def summarize(
    tickets: Sequence[TicketView],
    *,
    period_from: float | None = None,
    period_to: float | None = None,
) -> ReportSummary:
    """The summary of `tickets` (already chosen for the period)."""
    queue = waits(tickets)
    csat = csat_scores(tickets)
    return ReportSummary(
        period_from=period_from,
        period_to=period_to,
        calls=len(tickets),
        answered=len(answered(tickets)),
        abandoned=len(abandoned(tickets)),
        answered_in_time=answered_within(tickets, SERVICE_LEVEL_SECONDS),
        by_topic=counts(t.topic for t in tickets),
        by_emotion=counts(t.emotion for t in tickets),
        by_outcome=counts(outcome(t) for t in tickets),
        queue_seconds_avg=mean(queue),
        queue_seconds_p90=percentile(queue, 90),
        handle_seconds_avg=mean(handle_times(tickets)),
        abandonment_rate=abandonment_rate(tickets),
        service_level=service_level(tickets),
        csat_avg=mean(csat),
        csat_responses=len(csat),
    )


def day_start(at: float, *, zone: ZoneInfo) -> float:
    """The start (midnight in `zone`) of the bank's day holding `at`."""
    return bank_time.day_start(at, zone)


def days(since: float, until: float, *, zone: ZoneInfo) -> list[tuple[float, float]]:
    """The bank's days covering [since, until), each clipped to the period."""
    out: list[tuple[float, float]] = []
    start = since
    while start < until:
        end = min(until, bank_time.next_day_start(start, zone))
        out.append((start, end))
        start = end
    return out


def day_count(since: float, until: float, *, zone: ZoneInfo) -> int:
    """How many of the bank's days [since, until) touches (`len(days(...))`, without the list)."""
    if until <= since:
        return 0
    whole = (bank_time.local_date(until, zone) - bank_time.local_date(since, zone)).days
    return whole + (0 if bank_time.day_start(until, zone) == until else 1)


def daily(
    tickets: Sequence[TicketView], *, since: float, until: float, zone: ZoneInfo
) -> DailyReport:
    """`tickets` (created in [since, until)) summarized per day of the bank's, and in total."""
    periods = days(since, until, zone=zone)
    starts = [start for start, _ in periods]
    per_day: list[list[TicketView]] = [[] for _ in periods]
    for t in tickets:
        i = bisect_right(starts, t.created_at) - 1
        if i >= 0 and t.created_at < periods[i][1]:
            per_day[i].append(t)
    return DailyReport(
        days=[
            summarize(chosen, period_from=start, period_to=end)
            for chosen, (start, end) in zip(per_day, periods, strict=True)
        ],
        total=summarize(tickets, period_from=since, period_to=until),
        timezone=zone.key,
    )
