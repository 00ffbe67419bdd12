"""What the routing index's scripts report: the agents considered, the outcome, a record."""

from __future__ import annotations

from dataclasses import dataclass, field

# What the release script records for each way a `<Dial>` to an agent can end.
DIAL_OUTCOMES: dict[str, str] = {
    "completed": "talked",
    "answered": "talked",
    "no-answer": "declined",
    "busy": "declined",
    "failed": "declined",
    "canceled": "canceled",
}


@dataclass(frozen=True, slots=True)
class Considered:
    """An agent the script looked at: id, score, the pool it came from."""

    agent_id: str
    score: float
    pool: str


@dataclass(frozen=True, slots=True)
class RouteOutcome:
    """What the route script did: 'connect', 'queue' or 'gone' (the caller left)."""

    kind: str
    agent_id: str | None = None
    score: float | None = None
    position: int | None = None
    considered: list[Considered] = field(default_factory=list)
    decision_number: int = 0


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as stored: its JSON document and live state."""

    agent_id: str
    doc: str
    state: str
    since: float
    version: int
    calls_today: int
    talk_seconds_today: float
    call_sid: str | None
    seq: int = 0
