"""The supervisor's summary of a period: pure arithmetic over tickets."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, Field

from ivr.tickets.models import Outcome
from ivr.tickets.views import TicketView

SERVICE_LEVEL_SECONDS = 20.0


class ReportSummary(BaseModel):
    """Counts and service figures of the calls that started in [from, to)."""

    period_from: float | None = None
    period_to: float | None = None
    calls: int = 0
    by_topic: dict[str, int] = Field(default_factory=dict)
    by_emotion: dict[str, int] = Field(default_factory=dict)
    by_outcome: dict[str, int] = Field(default_factory=dict)
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


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank `p`-th percentile (0 < p <= 100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(
    tickets: Sequence[TicketView],
    *,
    period_from: float | None = None,
    period_to: float | None = None,
) -> ReportSummary:
    """The summary of `tickets` (already chosen for the period)."""
    queue = [t.queue_seconds for t in tickets if t.queue_seconds is not None]
    handle = [t.handle_seconds for t in tickets if t.handle_seconds is not None]
    csat = [float(t.csat) for t in tickets if t.csat is not None]
    outcomes = Counter(t.outcome or "unknown" for t in tickets)
    answered = [t for t in tickets if t.outcome == Outcome.ANSWERED.value]
    abandoned = outcomes.get(Outcome.ABANDONED.value, 0)
    offered = len(answered) + abandoned
    in_time = sum(1 for t in answered if (t.queue_seconds or 0.0) <= SERVICE_LEVEL_SECONDS)
    return ReportSummary(
        period_from=period_from,
        period_to=period_to,
        calls=len(tickets),
        by_topic=dict(Counter(t.topic or "unknown" for t in tickets)),
        by_emotion=dict(Counter(t.emotion or "unknown" for t in tickets)),
        by_outcome=dict(outcomes),
        queue_seconds_avg=_mean(queue),
        queue_seconds_p90=percentile(queue, 90),
        handle_seconds_avg=_mean(handle),
        abandonment_rate=abandoned / offered if offered else None,
        service_level=in_time / offered if offered else None,
        csat_avg=_mean(csat),
        csat_responses=len(csat),
    )
