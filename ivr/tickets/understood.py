"""A ticket's topic and emotion from every reading of its call, whatever order they came in.

Readings reach the ticket store by different ways: the call controller's
`nlu.read` (one per utterance), the transcription worker's `speech.transcribed`
(a recording's reading, which may arrive after the caller was routed or even
after the call ended), and routing's `routing.decided` (what the caller was
routed as); `speech.confirmed` says which words the caller told us we misheard.
The newest information wins, counted in the caller's own words: the reading
of utterance n is newer than a routing decision made when n-1 utterances had
been read, and older than one made after it. So a ticket reads
the same whichever event the store happens to see last.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.tickets.models import Event, Ticket

READING_EVENTS = frozenset(
    {"nlu.read", "speech.transcribed", "routing.decided", "speech.confirmed"}
)
# Readings logged before they carried `confident` are taken as sure from this confidence.
SURE_CONFIDENCE = 0.5

Rank = tuple[int, int, int]


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _candidate(kind: str, data: dict[str, Any]) -> tuple[Rank, dict[str, Any], bool] | None:
    """(its rank, the reading, whether it names a topic surely), or None if it reads nothing."""
    if not isinstance(data.get("utterances" if kind == "routing.decided" else "utterance"), int):
        return None  # an event of before utterances were numbered: the projection's own say
    if kind == "routing.decided":
        # After n utterances: newer than utterance n, older than utterance n + 1.
        rank = (_int(data.get("utterances")), 1, _int(data.get("decision")))
        return rank, data, bool(data.get("topic"))
    reading = data.get("reading") if kind == "speech.transcribed" else data
    if not isinstance(reading, dict):
        return None
    sure = data.get("confident", reading.get("confident"))
    if not isinstance(sure, bool):
        sure = (_num(reading.get("topic_confidence")) or 0.0) >= SURE_CONFIDENCE
    return (_int(data.get("utterance")), 0, 0), reading, sure


def settle(ticket: Ticket, readings: Iterable[tuple[str, dict[str, Any]]]) -> None:
    """Set `ticket`'s topic and emotion from all of its call's `(event type, data)` readings.

    Words the caller said we misheard (`speech.confirmed`, asked again) name no topic.
    """
    readings = list(readings)
    misheard = {
        data.get("utterance")
        for kind, data in readings
        if kind == "speech.confirmed" and data.get("result") == "asked_again"
    }
    topic: tuple[Rank, dict[str, Any]] | None = None
    feeling: tuple[Rank, dict[str, Any]] | None = None
    for kind, data in readings:
        found = _candidate(kind, data) if kind != "speech.confirmed" else None
        if found is None:
            continue
        rank, reading, sure = found
        sure = sure and (kind == "routing.decided" or data.get("utterance") not in misheard)
        if sure and reading.get("topic") and (topic is None or rank > topic[0]):
            topic = (rank, reading)
        if reading.get("emotion") and (feeling is None or rank > feeling[0]):
            feeling = (rank, reading)
    if topic is not None:
        ticket.topic = str(topic[1]["topic"])
        ticket.topic_confidence = _num(topic[1].get("topic_confidence"))
    if feeling is not None:
        ticket.emotion = str(feeling[1]["emotion"])
        ticket.emotion_intensity = _num(feeling[1].get("emotion_intensity"))


async def settle_tickets(session: AsyncSession, tickets: Iterable[Ticket]) -> None:
    """Settle each ticket from every reading of its call stored so far (this batch's too)."""
    by_id = {t.id: t for t in tickets}
    if not by_id:
        return
    rows = await session.execute(
        select(Event.ticket_id, Event.type, Event.data).where(
            Event.ticket_id.in_(list(by_id)), Event.type.in_(list(READING_EVENTS))
        )
    )
    readings: dict[str, list[tuple[str, dict[str, Any]]]] = {key: [] for key in by_id}
    for owner, kind, data in rows:
        readings[owner].append((kind, data or {}))
    for owner, ticket in by_id.items():
        settle(ticket, readings[owner])
