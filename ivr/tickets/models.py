"""The ticket store's tables (SQLAlchemy 2 declarative); the schema itself is made by Alembic.

Times are epoch seconds (float) so SQLite and PostgreSQL agree to the
microsecond and reports can do arithmetic without time-zone surprises.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Outcome(StrEnum):
    """How a call ended for the caller."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    CALLBACK = "callback"
    VOICEMAIL = "voicemail"
    SELF_SERVICE = "self_service"


class TicketStatus(StrEnum):
    """Where the bank stands with a ticket."""

    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"


class CallbackStatus(StrEnum):
    """A callback task's state."""

    DUE = "due"
    DONE = "done"


def ticket_id(call_sid: str) -> str:
    """The id of the one ticket of a call; derived from the CallSid so every write is idempotent."""
    return "TK" + hashlib.sha1(call_sid.encode()).hexdigest()[:16]


class Base(DeclarativeBase):
    """Declarative base of the ticket store."""

    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Customer(Base):
    """A caller, by phone number."""

    __tablename__ = "customers"

    phone: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str | None] = mapped_column(String(16))
    segment: Mapped[str | None] = mapped_column(String(64))
    notes: Mapped[str | None] = mapped_column(Text)
    first_seen: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    calls: Mapped[int] = mapped_column(Integer, default=0)


class Call(Base):
    """One phone call, as the carrier saw it."""

    __tablename__ = "calls"

    call_sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller: Mapped[str | None] = mapped_column(String(64), index=True)
    called: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[float | None] = mapped_column(Float)
    answered_at: Mapped[float | None] = mapped_column(Float)
    ended_at: Mapped[float | None] = mapped_column(Float)
    duration: Mapped[float | None] = mapped_column(Float)
    final_status: Mapped[str | None] = mapped_column(String(32))


class Ticket(Base):
    """Everything the bank knows about one call: one ticket per call."""

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_created", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    caller: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32), index=True)
    topic_confidence: Mapped[float | None] = mapped_column(Float)
    emotion: Mapped[str | None] = mapped_column(String(32))
    emotion_intensity: Mapped[float | None] = mapped_column(Float)
    cues: Mapped[list[Any]] = mapped_column(default=list)
    transcripts: Mapped[list[Any]] = mapped_column(default=list)
    menu_path: Mapped[list[Any]] = mapped_column(default=list)
    routing: Mapped[dict[str, Any] | None] = mapped_column()
    routing_explanation: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    queue: Mapped[str | None] = mapped_column(String(64))
    queue_joined_at: Mapped[float | None] = mapped_column(Float)
    queue_seconds: Mapped[float | None] = mapped_column(Float)
    handle_seconds: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str | None] = mapped_column(String(16))
    notes: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.OPEN.value)
    csat: Mapped[int | None] = mapped_column(Integer)
    callback_at: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class Event(Base):
    """The append-only log of every webhook step; the id makes a retried webhook a no-op."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_call_at", "call_sid", "at"),)

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Arrival order: the steps of one webhook share `at`, and must read in the order emitted.
    seq: Mapped[int | None] = mapped_column(BigInteger)


class Callback(Base):
    """A promise to call a customer back."""

    __tablename__ = "callbacks"

    id: Mapped[str] = mapped_column(String(96), primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    topic: Mapped[str | None] = mapped_column(String(32))
    emotion: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    due_at: Mapped[float] = mapped_column(Float, index=True)
    status: Mapped[str] = mapped_column(String(8), default=CallbackStatus.DUE.value)
    created_at: Mapped[float] = mapped_column(Float)
    completed_at: Mapped[float | None] = mapped_column(Float)


class ApiToken(Base):
    """An API token, stored only as its sha256 hash."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float | None] = mapped_column(Float)
    revoked_at: Mapped[float | None] = mapped_column(Float)


class AuditEntry(Base):
    """One admin change: who, when, what, before and after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[float] = mapped_column(Float, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(96), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ConfigVersion(Base):
    """One published version of something admins edit: a flow, or one language's prompts.

    Immutable once written: a rollback publishes a new version equal to an old
    one. (kind, name, version) is the key, so two admins publishing on top of
    the same version cannot both succeed.
    """

    __tablename__ = "config_versions"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "flow" or "prompts"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[float] = mapped_column(Float)
