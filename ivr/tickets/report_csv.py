"""The day-by-day report as CSV: one row per day of the bank's, then the period's total.

Columns are fixed (every contract topic, emotion and outcome, zero when
absent) so spreadsheets built on one export keep working on the next; a
label outside the contract gets a column of its own after them. The last
column, `timezone`, names the zone whose days the rows are; `from` and `to`
are written on that zone's clock with their offset.
"""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

from ivr.bank_time import local_date, local_iso
from ivr.ids import Emotion, Topic
from ivr.tickets.models import Outcome
from ivr.tickets.reports import IN_PROGRESS, UNKNOWN, DailyReport, ReportSummary

FIGURES = (
    "calls",
    "answered",
    "abandoned",
    "answered_in_time",
    "service_level",
    "abandonment_rate",
    "queue_seconds_avg",
    "queue_seconds_p90",
    "handle_seconds_avg",
    "csat_avg",
    "csat_responses",
)
_BREAKDOWNS = {
    "topic": ("by_topic", [t.value for t in Topic] + [UNKNOWN]),
    "emotion": ("by_emotion", [e.value for e in Emotion] + [UNKNOWN]),
    "outcome": ("by_outcome", [o.value for o in Outcome] + [IN_PROGRESS]),
}


def _labels(report: DailyReport) -> dict[str, list[str]]:
    """Per breakdown, the contract's labels, then any other label seen in the period."""
    out = {}
    for name, (field, known) in _BREAKDOWNS.items():
        seen: dict[str, int] = getattr(report.total, field)
        out[name] = known + sorted(set(seen) - set(known))
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def _row(label: str, s: ReportSummary, labels: dict[str, list[str]], zone: ZoneInfo) -> list[str]:
    def iso(at: float | None) -> str:
        return "" if at is None else local_iso(at, zone)

    row = [label, iso(s.period_from), iso(s.period_to)]
    row += [_cell(getattr(s, f)) for f in FIGURES]
    for name, (field, _) in _BREAKDOWNS.items():
        found: dict[str, int] = getattr(s, field)
        row += [str(found.get(label_, 0)) for label_ in labels[name]]
    return [*row, zone.key]


def report_csv(report: DailyReport) -> str:
    """`report` as CSV text (header, a row per day, a `total` row)."""
    labels = _labels(report)
    zone = ZoneInfo(report.timezone)
    header = ["day", "from", "to", *FIGURES]
    for name, names in labels.items():
        # Prefixed with the breakdown's name, so no header cell reads as a spreadsheet formula.
        header += [f"{name}.{label}" for label in names]
    # Last, so every column an earlier export had keeps its place.
    header.append("timezone")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for day in report.days:
        start = day.period_from
        label = local_date(start, zone).isoformat() if start is not None else ""
        writer.writerow(_row(label, day, labels, zone))
    writer.writerow(_row("total", report.total, labels, zone))
    return out.getvalue()
