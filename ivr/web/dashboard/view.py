"""What the dashboard shows, built from the figures (ivr.tickets.reports, ivr.api.wall).

No figure is computed here: each tile carries the figure's value exactly as
the reports API gives it (`raw`, rendered into `data-value`) and the text a
person reads; a test compares both with `GET /api/reports/summary`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ivr.api.wall import LiveWall
from ivr.bank_time import local_date
from ivr.ids import AgentState, Emotion, Topic
from ivr.tickets.models import Outcome
from ivr.tickets.reports import IN_PROGRESS, UNKNOWN, ReportSummary
from ivr.web.dashboard.charts import BarChart, bar_chart

Translate = Callable[..., str]

TOPICS = [t.value for t in Topic] + [UNKNOWN]
EMOTIONS = [e.value for e in Emotion] + [UNKNOWN]
OUTCOMES = [o.value for o in Outcome] + [IN_PROGRESS]


@dataclass(frozen=True, slots=True)
class Tile:
    """One figure: its id, the label, the value as the API has it, and as read."""

    key: str
    label: str
    raw: float | int | None
    text: str
    tone: str = ""  # "bad" / "warn" / "ok" / "": how the figure stands


def percent(value: float | None) -> str:
    """0.8333 -> '83.3%'; None -> '–'."""
    return "–" if value is None else f"{value * 100:.1f}%"


def seconds(value: float | None) -> str:
    """Seconds as m:ss (or 's' under a minute); None -> '–'."""
    if value is None:
        return "–"
    whole = round(value)
    return f"{whole} s" if whole < 60 else f"{whole // 60}:{whole % 60:02d}"


def score(value: float | None) -> str:
    """An average survey score out of 5."""
    return "–" if value is None else f"{value:.2f} / 5"


def day(at: float | None, *, zone: ZoneInfo) -> str:
    """The bank's date of `at` (reports count the bank's days)."""
    return "" if at is None else local_date(at, zone).isoformat()


def raw(value: float | int | None) -> str:
    """The value as JSON writes it, for `data-value` (so a test compares exactly)."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def series(days: Sequence[ReportSummary], field: str) -> str:
    """One figure of each day, comma-separated for the trend chart's `data-*` (empty: none)."""
    return ",".join(raw(getattr(d, field)) for d in days)


def summary_tiles(s: ReportSummary, t: Translate) -> list[Tile]:
    """The period's service figures."""
    sl, ab = s.service_level, s.abandonment_rate
    return [
        Tile("calls", t("dash_calls"), s.calls, str(s.calls)),
        Tile("answered", t("dash_answered"), s.answered, str(s.answered)),
        Tile("abandoned", t("dash_abandoned"), s.abandoned, str(s.abandoned)),
        Tile(
            "service_level",
            t("dash_service_level", seconds=round(s.service_level_seconds)),
            sl,
            percent(sl),
            "" if sl is None else ("ok" if sl >= 0.8 else "warn" if sl >= 0.6 else "bad"),
        ),
        Tile(
            "abandonment_rate",
            t("dash_abandonment"),
            ab,
            percent(ab),
            "" if ab is None else ("ok" if ab <= 0.05 else "warn" if ab <= 0.1 else "bad"),
        ),
        Tile(
            "queue_seconds_avg",
            t("dash_wait_avg"),
            s.queue_seconds_avg,
            seconds(s.queue_seconds_avg),
        ),
        Tile(
            "queue_seconds_p90",
            t("dash_wait_p90"),
            s.queue_seconds_p90,
            seconds(s.queue_seconds_p90),
        ),
        Tile(
            "handle_seconds_avg",
            t("dash_handle_avg"),
            s.handle_seconds_avg,
            seconds(s.handle_seconds_avg),
        ),
        Tile("csat_avg", t("dash_csat", n=s.csat_responses), s.csat_avg, score(s.csat_avg)),
    ]


def live_tiles(wall: LiveWall, t: Translate) -> list[Tile]:
    """The figures of right now: who waits, how long, who is upset, callbacks late."""
    return [
        Tile("waiting", t("dash_waiting"), wall.waiting, str(wall.waiting)),
        Tile(
            "longest_wait_seconds",
            t("dash_longest_wait"),
            wall.longest_wait_seconds,
            seconds(wall.longest_wait_seconds) if wall.waiting else "–",
        ),
        Tile(
            "offered_callback",
            t("dash_offered_callback"),
            wall.offered_callback,
            str(wall.offered_callback),
        ),
        Tile(
            "upset_waiting",
            t("dash_upset_waiting"),
            wall.upset_waiting,
            str(wall.upset_waiting),
            "bad" if wall.upset_waiting else "",
        ),
        Tile(
            "callbacks_overdue",
            t("dash_callbacks_overdue", due=wall.callbacks_due),
            wall.callbacks_overdue,
            str(wall.callbacks_overdue),
            "warn" if wall.callbacks_overdue else "",
        ),
    ]


def breakdowns(s: ReportSummary, t: Translate) -> list[tuple[str, str, BarChart]]:
    """(id, title, chart) for calls by topic, emotion and outcome."""
    return [
        (
            "topic",
            t("dash_by_topic"),
            bar_chart(s.by_topic, label=_label(t, "topic"), order=TOPICS),
        ),
        (
            "emotion",
            t("dash_by_emotion"),
            bar_chart(s.by_emotion, label=_label(t, "emotion"), order=EMOTIONS),
        ),
        (
            "outcome",
            t("dash_by_outcome"),
            bar_chart(s.by_outcome, label=_label(t, "outcome"), order=OUTCOMES),
        ),
    ]


def _label(t: Translate, kind: str) -> Callable[[str], str]:
    def label(key: str) -> str:
        text = t(f"{kind}_{key}")
        # A label outside the contract has no text of its own: show it as it is (escaped).
        return key if text == f"{kind}_{key}" else text

    return label


def state_label(t: Translate, state: AgentState | str) -> str:
    """An agent state in the page's language."""
    value = state.value if isinstance(state, AgentState) else state
    return t(f"state_{value}")
