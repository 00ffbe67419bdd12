"""What the ticket store hands out and accepts: pydantic models shared by the API, CLI and flow."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ivr.tickets.models import Call, Event, Ticket, TicketStatus


class EventView(BaseModel):
    """One stored step of a call."""

    at: float
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class Utterance(BaseModel):
    """One thing the caller said (redacted), in order, with the topic and emotion read in it."""

    at: float
    source: str = Field(description="'speech' (heard at a menu), 'recording' or 'nlu'")
    text: str
    node: str | None = None
    topic: str | None = None
    topic_confidence: float | None = None
    emotion: str | None = None
    emotion_intensity: float | None = None


# Transcript entries that are not the caller's words: keys pressed, a count of skipped ones.
_NOT_WORDS = frozenset({"dtmf", "summary"})


def utterances_of(transcripts: list[Any] | None) -> list[Utterance]:
    """The caller's words among a ticket's transcript entries."""
    return [
        Utterance.model_validate(entry)
        for entry in transcripts or []
        if isinstance(entry, dict)
        and entry.get("source") not in _NOT_WORDS
        and isinstance(entry.get("text"), str)
        and isinstance(entry.get("at"), int | float)
    ]


class TicketView(BaseModel):
    """A ticket as the API shows it (contract fields first)."""

    id: str
    call_sid: str
    caller: str | None = None
    language: str | None = None
    topic: str | None = None
    topic_confidence: float | None = None
    emotion: str | None = None
    emotion_intensity: float | None = None
    cues: list[Any] = Field(default_factory=list)
    transcript: str = ""
    transcripts: list[dict[str, Any]] = Field(default_factory=list)
    utterances: list[Utterance] = Field(
        default_factory=list,
        description="everything the caller said, redacted, in order, with topic and emotion",
    )
    menu_path: list[str] = Field(default_factory=list)
    routing: dict[str, Any] | None = None
    routing_explanation: str | None = None
    status: str = TicketStatus.OPEN.value
    agent_id: str | None = None
    queue: str | None = None
    queue_seconds: float | None = None
    handle_seconds: float | None = None
    outcome: str | None = None
    csat: int | None = None
    notes: str | None = None
    disposition: str | None = None
    callback_at: float | None = None
    created_at: float
    updated_at: float
    started_at: float | None = None
    answered_at: float | None = None
    ended_at: float | None = None
    events: list[EventView] = Field(default_factory=list)


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime):
        when = value if value.tzinfo else value.replace(tzinfo=UTC)
        return when.timestamp()
    return value


class TicketPatch(BaseModel):
    """An agent's or admin's change to a ticket; unknown fields and wrong types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)

    notes: str | None = Field(default=None, max_length=10_000)
    status: Literal["open", "pending", "resolved"] | None = None
    disposition: str | None = Field(default=None, max_length=200)
    callback_at: datetime | None = Field(
        default=None,
        description=(
            "ISO 8601 date-time (without an offset: on the bank's clock, IVR_TIMEZONE) or "
            "epoch seconds (as tickets show it); schedules (or moves) the callback task; "
            "null clears"
        ),
    )

    @field_validator("callback_at", mode="before")
    @classmethod
    def _iso_or_epoch(cls, value: Any) -> Any:
        # strict mode refuses strings and numbers for datetimes; JSON carries either
        # ISO 8601 text or the epoch seconds the ticket itself reports.
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ValueError("callback_at must be an ISO 8601 date-time") from exc
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                return datetime.fromtimestamp(value, UTC)
            except (OverflowError, OSError, ValueError) as exc:
                raise ValueError("callback_at must be a valid time in epoch seconds") from exc
        return value

    def callback_epoch(self) -> float | None:
        """`callback_at` as epoch seconds (naive times are UTC; the API makes them the bank's)."""
        result: float | None = _epoch(self.callback_at)
        return result


class TicketFilter(BaseModel):
    """Which tickets to list."""

    caller: str | None = None
    topic: str | None = None
    emotion: str | None = None
    status: str | None = None
    agent_id: str | None = None
    since: float | None = None
    until: float | None = None
    limit: int = Field(default=100, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class CallbackView(BaseModel):
    """A callback task, flagged overdue when its time has passed."""

    id: str
    ticket_id: str
    number: str | None
    language: str | None
    topic: str | None
    emotion: str | None
    agent_id: str | None
    due_at: float
    status: str
    overdue: bool = False
    completed_at: float | None = None
    utterances: list[Utterance] = Field(
        default_factory=list, description="the caller's words that led to the callback"
    )


class TokenView(BaseModel):
    """An API token's record (never the token itself)."""

    id: str
    role: str
    agent_id: str | None
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None


class AuditView(BaseModel):
    """One entry of the admin audit log."""

    at: float
    actor: str
    action: str
    target: str
    changes: dict[str, Any]


class CustomerHistory(BaseModel):
    """A caller and their recent tickets, for the agent's screen pop."""

    phone: str
    language: str | None = None
    segment: str | None = None
    notes: str | None = None
    calls: int = 0
    first_seen: float | None = None
    last_seen: float | None = None
    tickets: list[TicketView] = Field(default_factory=list)


class CustomerSummary(BaseModel):
    """The small Redis copy of a caller's history; flow and routing read it, never the database."""

    caller: str
    language: str | None = None
    last_call_at: float | None = None
    recent_calls: list[tuple[str, float]] = Field(
        default_factory=list, description="(call_sid, started_at), newest first"
    )
    open_complaint: bool = False
    open_ticket_id: str | None = None
    last_agent_id: str | None = None
    repeat_caller: bool = Field(default=False, description="another call within 24 h")
    calls_last_24h: int = 0


def ticket_view(t: Ticket, call: Call | None = None, events: Sequence[Event] = ()) -> TicketView:
    """The API's view of a ticket row."""
    transcripts = list(t.transcripts or [])
    return TicketView(
        id=t.id,
        call_sid=t.call_sid,
        caller=t.caller,
        language=t.language,
        topic=t.topic,
        topic_confidence=t.topic_confidence,
        emotion=t.emotion,
        emotion_intensity=t.emotion_intensity,
        cues=list(t.cues or []),
        transcript="\n".join(str(e.get("text", "")) for e in transcripts),
        transcripts=transcripts,
        utterances=utterances_of(transcripts),
        menu_path=[str(s.get("node")) for s in (t.menu_path or [])],
        routing=t.routing,
        routing_explanation=t.routing_explanation,
        status=t.status,
        agent_id=t.agent_id,
        queue=t.queue,
        queue_seconds=t.queue_seconds,
        handle_seconds=t.handle_seconds,
        outcome=t.outcome,
        csat=t.csat,
        notes=t.notes,
        disposition=t.disposition,
        callback_at=t.callback_at,
        created_at=t.created_at,
        updated_at=t.updated_at,
        started_at=call.started_at if call else None,
        answered_at=call.answered_at if call else None,
        ended_at=call.ended_at if call else None,
        events=[EventView(id=e.id, at=e.at, type=e.type, data=e.data) for e in events],
    )
