"""The ticket store: SQLAlchemy 2 async over SQLite or PostgreSQL.

Webhooks never call this directly: events reach it through the stream and
the persister (`persist`), which is idempotent by event id. The API reads and
patches tickets here; tokens and the audit log (ivr.tickets.access) and callback
tasks (ivr.tickets.callbacks) are mixed in.
"""

from __future__ import annotations

import builtins
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from ivr.errors import InvalidInputError, NotFoundError
from ivr.events import CallEvent
from ivr.security.redact import redact
from ivr.tickets import access
from ivr.tickets.access import AccessRecords
from ivr.tickets.callbacks import CallbackRecords, settle_late_joins
from ivr.tickets.db import make_engine, migrate
from ivr.tickets.models import (
    Call,
    Callback,
    Customer,
    Event,
    Ticket,
    TicketStatus,
    ticket_id,
)
from ivr.tickets.projection import apply_event, clean_data
from ivr.tickets.understood import READING_EVENTS, settle_tickets
from ivr.tickets.views import (
    CustomerHistory,
    CustomerSummary,
    TicketFilter,
    TicketPatch,
    TicketView,
    ticket_view,
)

COMPLAINT_TOPICS = frozenset({"complaint"})
DAY = 24 * 3600.0


@dataclass
class PersistResult:
    """What one `persist` call did."""

    stored: int = 0
    duplicates: int = 0
    callers: set[str] = field(default_factory=set)


def _new_ticket(call_sid: str, at: float) -> Ticket:
    return Ticket(
        id=ticket_id(call_sid),
        call_sid=call_sid,
        status=TicketStatus.OPEN.value,
        cues=[],
        transcripts=[],
        menu_path=[],
        created_at=at,
        updated_at=at,
    )


PERSIST_ATTEMPTS = 4


class TicketStore(AccessRecords, CallbackRecords):
    """Tickets, calls, customers, events, callbacks, tokens and the audit log."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str, *, run_migrations: bool = True) -> TicketStore:
        """Connect to `url` (SQLite or PostgreSQL), migrating the schema first unless told not."""
        if run_migrations:
            await migrate(url)
        return cls(engine=make_engine(url))

    async def close(self) -> None:
        """Release the connection pool."""
        await self.engine.dispose()

    async def ping(self) -> None:
        """Raise when the database does not answer (for /healthz)."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def session(self) -> AsyncSession:
        """A new session (used by ivr.tickets.access and reports)."""
        return self._sessions()

    # --- the write-behind path ---
    async def persist(self, events: Sequence[CallEvent]) -> PersistResult:
        """Store `events` and project them into tickets in one transaction; skip known ids.

        Two consumers may create the same call's rows at once (a call's webhooks land
        on several server processes): the loser's insert conflicts, and a retry finds
        the winner's rows.
        """
        for attempt in range(PERSIST_ATTEMPTS):
            try:
                return await self._persist_once(events)
            except IntegrityError:
                if attempt == PERSIST_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _persist_once(self, events: Sequence[CallEvent]) -> PersistResult:
        result = PersistResult()
        unique: dict[str, CallEvent] = {}
        for e in events:
            unique.setdefault(e.id, e)
        result.duplicates = len(events) - len(unique)
        if not unique:
            return result
        async with self._sessions() as session, session.begin():
            seen = set(await session.scalars(select(Event.id).where(Event.id.in_(list(unique)))))
            new = sorted((e for e in unique.values() if e.id not in seen), key=lambda e: e.at)
            result.duplicates += len(seen)
            if not new:
                # A redelivered batch: name its callers anyway, so a summary lost
                # to a crash after the commit is written this time.
                sids = {e.call_sid for e in unique.values()}
                callers = await session.scalars(
                    select(Ticket.caller).where(Ticket.call_sid.in_(sids))
                )
                result.callers = {c for c in callers if c}
                return result
            await self._project(session, new, result)
        result.stored = len(new)
        return result

    async def _project(
        self, session: AsyncSession, new: list[CallEvent], result: PersistResult
    ) -> None:
        sids = {e.call_sid for e in new}
        # FOR UPDATE serialises two consumers projecting one call (PostgreSQL; no-op on SQLite).
        tickets = {
            t.call_sid: t
            for t in await session.scalars(
                select(Ticket).where(Ticket.call_sid.in_(sids)).with_for_update()
            )
        }
        calls = {
            c.call_sid: c
            for c in await session.scalars(select(Call).where(Call.call_sid.in_(sids)))
        }
        for e in new:
            if e.call_sid not in tickets:
                tickets[e.call_sid] = _new_ticket(e.call_sid, e.at)
                session.add(tickets[e.call_sid])
            if e.call_sid not in calls:
                calls[e.call_sid] = Call(call_sid=e.call_sid)
                session.add(calls[e.call_sid])
        rows: list[dict[str, Any]] = []
        callbacks: list[Callback] = []
        joined: list[tuple[Ticket, dict[str, Any]]] = []
        # Microseconds now, times 1000, plus the place in the batch: increasing in stream order.
        base = time.time_ns() // 1000 * 1000
        for i, e in enumerate(new):
            t, c = tickets[e.call_sid], calls[e.call_sid]
            data = clean_data(e)
            rows.append(
                {
                    "seq": base + i,
                    "id": e.id,
                    "call_sid": e.call_sid,
                    "ticket_id": t.id,
                    "at": e.at,
                    "type": e.type,
                    "data": data,
                }
            )
            callbacks += apply_event(t, c, e, data)
            if e.type == "callback.joined":
                joined.append((t, data))
        await session.flush()  # tickets exist before callbacks point at them
        if joined:
            await settle_late_joins(session, joined)
        if callbacks:
            ids = [c.id for c in callbacks]
            known = set(await session.scalars(select(Callback.id).where(Callback.id.in_(ids))))
            fresh = {c.id: c for c in callbacks if c.id not in known}
            session.add_all(fresh.values())
        await session.execute(insert(Event), rows)
        read = [tickets[e.call_sid] for e in new if e.type in READING_EVENTS]
        await settle_tickets(session, read)  # not from whichever reading came last
        started = {e.call_sid for e in new if e.type == "call.started"}
        await self._touch_customers(session, [tickets[s] for s in sids], started)
        result.callers = {t.caller for t in tickets.values() if t.caller}

    async def _touch_customers(
        self, session: AsyncSession, tickets: list[Ticket], started: set[str]
    ) -> None:
        phones = {t.caller for t in tickets if t.caller}
        if not phones:
            return
        known = {
            c.phone: c
            for c in await session.scalars(
                select(Customer).where(Customer.phone.in_(phones)).with_for_update()
            )
        }
        for t in tickets:
            if not t.caller:
                continue
            cust = known.get(t.caller)
            if cust is None:
                cust = Customer(
                    phone=t.caller, first_seen=t.created_at, last_seen=t.created_at, calls=0
                )
                known[t.caller] = cust
                session.add(cust)
            cust.last_seen = max(cust.last_seen, t.updated_at)
            cust.language = t.language or cust.language
            if t.call_sid in started:
                cust.calls = (cust.calls or 0) + 1

    # --- reading and changing tickets ---
    async def get(self, ident: str, *, with_events: bool = True) -> TicketView:
        """One ticket by id (or by CallSid), with its events; NotFoundError when unknown."""
        async with self._sessions() as session:
            t = await session.get(Ticket, ident)
            if t is None:
                t = await session.scalar(select(Ticket).where(Ticket.call_sid == ident))
            if t is None:
                raise NotFoundError("ticket", ident)
            call = await session.get(Call, t.call_sid)
            events: Sequence[Event] = ()
            if with_events:
                events = (
                    await session.scalars(
                        select(Event)
                        .where(Event.call_sid == t.call_sid)
                        .order_by(Event.at, Event.seq, Event.id)
                    )
                ).all()
            return ticket_view(t, call, events)

    async def list(self, flt: TicketFilter) -> builtins.list[TicketView]:
        """Tickets matching `flt`, newest first (without their events)."""
        q = select(Ticket, Call).outerjoin(Call, Call.call_sid == Ticket.call_sid)
        for column, value in (
            (Ticket.caller, flt.caller),
            (Ticket.topic, flt.topic),
            (Ticket.emotion, flt.emotion),
            (Ticket.status, flt.status),
            (Ticket.agent_id, flt.agent_id),
        ):
            if value is not None:
                q = q.where(column == value)
        if flt.since is not None:
            q = q.where(Ticket.created_at >= flt.since)
        if flt.until is not None:
            q = q.where(Ticket.created_at < flt.until)
        q = q.order_by(Ticket.created_at.desc(), Ticket.id).limit(flt.limit).offset(flt.offset)
        async with self._sessions() as session:
            return [ticket_view(t, c) for t, c in (await session.execute(q)).all()]

    async def between(self, since: float | None, until: float | None) -> builtins.list[TicketView]:
        """Every ticket created in [since, until), oldest first (for reports and export)."""
        q = select(Ticket, Call).outerjoin(Call, Call.call_sid == Ticket.call_sid)
        if since is not None:
            q = q.where(Ticket.created_at >= since)
        if until is not None:
            q = q.where(Ticket.created_at < until)
        async with self._sessions() as session:
            rows = await session.execute(q.order_by(Ticket.created_at, Ticket.id))
            return [ticket_view(t, c) for t, c in rows.all()]

    async def patch(
        self, ident: str, change: TicketPatch, *, actor: str, audit: bool
    ) -> TicketView:
        """Apply an agent's or admin's change (an admin's is audited); return the ticket."""
        fields = change.model_dump(exclude_unset=True)
        if not fields:
            raise InvalidInputError(
                "nothing to change: give notes, status, disposition or callback_at"
            )
        now = time.time()
        async with self._sessions() as session, session.begin():
            t = await session.get(Ticket, ident, with_for_update=True)
            if t is None:
                raise NotFoundError("ticket", ident)
            before = {k: getattr(t, k) for k in fields}
            if "notes" in fields:
                t.notes = redact(change.notes) if change.notes is not None else None
            if "disposition" in fields:
                t.disposition = redact(change.disposition) if change.disposition else None
            if "status" in fields:
                t.status = change.status or t.status
            if "callback_at" in fields:
                await self._schedule_callback(session, t, change.callback_epoch(), now)
            t.updated_at = now
            after = {k: getattr(t, k) for k in fields}
            if audit:
                session.add(access.audit_entry(actor, "ticket.patch", t.id, before, after, now))
        return await self.get(ident)

    # --- customers ---
    async def customer_history(self, phone: str, *, limit: int = 20) -> CustomerHistory:
        """A caller's record and recent tickets (screen pop); empty history for a new caller."""
        async with self._sessions() as session:
            cust = await session.get(Customer, phone)
        tickets = await self.list(TicketFilter(caller=phone, limit=limit))
        if cust is None:
            return CustomerHistory(phone=phone, tickets=tickets)
        return CustomerHistory(
            phone=phone,
            language=cust.language,
            segment=cust.segment,
            notes=cust.notes,
            calls=cust.calls,
            first_seen=cust.first_seen,
            last_seen=cust.last_seen,
            tickets=tickets,
        )

    async def customer_summaries(self, callers: set[str]) -> dict[str, CustomerSummary]:
        """Fresh summaries of `callers` from the tickets, for the Redis copy."""
        if not callers:
            return {}
        q = (
            select(
                Ticket.caller,
                Ticket.id,
                Ticket.call_sid,
                Ticket.status,
                Ticket.topic,
                Ticket.agent_id,
            )
            .add_columns(Ticket.created_at, Ticket.language)
            .where(Ticket.caller.in_(callers))
            .order_by(Ticket.created_at.desc())
        )
        out = {c: CustomerSummary(caller=c) for c in callers}
        async with self._sessions() as session:
            for caller, tid, sid, status, topic, agent, created, language in await session.execute(
                q
            ):
                s = out[caller]
                s.last_call_at = s.last_call_at or created
                s.language = s.language or language
                if len(s.recent_calls) < 20:
                    s.recent_calls.append((sid, created))
                s.last_agent_id = s.last_agent_id or agent
                if status != TicketStatus.RESOLVED.value:
                    s.open_ticket_id = s.open_ticket_id or tid
                    s.open_complaint = s.open_complaint or topic in COMPLAINT_TOPICS
        return out
