"""Ticket-store fixtures: the store on SQLite and on PostgreSQL, and a simulated call's events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from ivr.events import CallEvent, event_id
from ivr.tickets.store import TicketStore

CallFactory = Callable[..., list[CallEvent]]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: a SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tickets.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[TicketStore]:
    """A migrated ticket store on each database."""
    s = await TicketStore.open(db_url)
    yield s
    await s.close()


def answered_call(
    call_sid: str,
    *,
    caller: str = "+14155550100",
    t0: float = 1_800_000_000.0,
    agent_id: str = "a1",
    topic: str = "lost_stolen_card",
    speech: str = "I lost my card, the number is 4111 1111 1111 1111",
    csat: int | None = 4,
    queue_wait: float = 12.0,
) -> list[CallEvent]:
    """Every event a flow emits for a call routed to an agent after waiting in a queue."""
    steps: list[tuple[str, float, str, dict[str, object]]] = [
        ("voice", 0, "call.started", {"caller": caller, "called": "+18005550199"}),
        ("voice", 0.1, "language.chosen", {"language": "en-US"}),
        ("voice", 0.2, "menu.entered", {"node": "main", "flow": "main"}),
        ("g1", 5, "menu.input", {"node": "main", "speech": speech, "digits": "", "secure": False}),
        ("g1", 5.1, "menu.entered", {"node": "card", "flow": "main"}),
        ("g2", 8, "menu.input", {"node": "verify", "digits": "4321", "secure": True}),
        (
            "g2",
            8.1,
            "nlu.read",
            {
                "text": speech,
                "topic": topic,
                "topic_confidence": 0.91,
                "emotion": "anxious",
                "emotion_intensity": 0.7,
                "cues": ["lost"],
            },
        ),
        (
            "g2",
            8.2,
            "routing.decided",
            {"kind": "queue", "strategy": "skills", "queue": "cards", "reason": "all busy"},
        ),
        ("g2", 8.3, "queue.joined", {"queue": "cards", "position": 1, "priority": 2}),
        ("wait", 8.3 + queue_wait, "queue.left", {"queue": "cards", "reason": "bridged"}),
        ("wait", 8.4 + queue_wait, "agent.dialed", {"agent_id": agent_id, "endpoint": "client"}),
        (
            "dial",
            100,
            "agent.result",
            {"agent_id": agent_id, "dial_status": "completed", "duration": 80},
        ),
    ]
    if csat is not None:
        steps.append(("survey", 110, "survey.answered", {"csat": csat}))
    steps.append(("status", 111, "call.ended", {"status": "completed", "duration": 111}))
    counts: dict[str, int] = {}
    events = []
    for step, dt, kind, data in steps:
        i = counts.get(step, 0)
        counts[step] = i + 1
        events.append(
            CallEvent(
                id=event_id(call_sid, step, i), call_sid=call_sid, at=t0 + dt, type=kind, data=data
            )
        )
    return events


@pytest.fixture
def call_events() -> CallFactory:
    """Builds the events of one simulated, answered call."""
    return answered_call
