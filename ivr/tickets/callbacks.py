"""Callback tasks of the ticket store: scheduled from a ticket, listed, completed.

A ticket's `callback_at` opens a task (pending); completing it resolves the
ticket, and the tickets of other calls from the same number that joined it
("callback.joined" events). Mixed into `ivr.tickets.store.TicketStore`.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.errors import NotFoundError
from ivr.tickets import access
from ivr.tickets.models import Callback, CallbackStatus, Event, Ticket, TicketStatus
from ivr.tickets.views import CallbackView, utterances_of

# Emotions whose callbacks are worked first among those due at one time.
UPSET = ("angry", "anxious", "sad", "agitated")


class CallbackRecords:
    """Callback-task methods of the ticket store (mixed into TicketStore)."""

    def session(self) -> AsyncSession:
        """A new database session; provided by the store."""
        raise NotImplementedError

    async def _schedule_callback(
        self, session: AsyncSession, t: Ticket, due: float | None, now: float
    ) -> None:
        open_tasks = (
            await session.scalars(
                select(Callback).where(
                    Callback.ticket_id == t.id, Callback.status == CallbackStatus.DUE.value
                )
            )
        ).all()
        t.callback_at = due
        if due is None:
            for task in open_tasks:
                task.status, task.completed_at = CallbackStatus.DONE.value, now
            return
        if open_tasks:
            for task in open_tasks:
                task.due_at = due
            return
        session.add(
            Callback(
                id=f"{t.id}:cb:{int(now * 1000)}",
                ticket_id=t.id,
                number=t.caller,
                language=t.language,
                topic=t.topic,
                emotion=t.emotion,
                agent_id=t.agent_id,
                due_at=due,
                status=CallbackStatus.DUE.value,
                created_at=now,
            )
        )
        if t.status == TicketStatus.OPEN.value:
            t.status = TicketStatus.PENDING.value

    async def callbacks(
        self,
        *,
        agent_id: str | None = None,
        now: float | None = None,
        due_within: float | None = None,
    ) -> list[CallbackView]:
        """Open callback tasks (of one agent, or all), soonest first; overdue ones flagged.

        Of callbacks due at one time (the bank's opening), upset callers' come first,
        each with the words that led to it.
        """
        now = time.time() if now is None else now
        upset_first = case((Callback.emotion.in_(UPSET), 0), else_=1)
        q = (
            select(Callback, Ticket.transcripts)
            .join(Ticket, Ticket.id == Callback.ticket_id, isouter=True)
            .where(Callback.status == CallbackStatus.DUE.value)
        )
        if agent_id is not None:
            q = q.where(Callback.agent_id == agent_id)
        if due_within is not None:
            q = q.where(Callback.due_at <= now + due_within)
        async with self.session() as session:
            rows = (
                await session.execute(q.order_by(Callback.due_at, upset_first, Callback.id))
            ).all()
        return [_callback_view(c, now, words) for c, words in rows]

    async def get_callback(self, callback_id: str) -> CallbackView:
        """One callback task; NotFoundError when unknown."""
        async with self.session() as session:
            c = await session.get(Callback, callback_id)
            if c is None:
                raise NotFoundError("callback", callback_id)
            t = await session.get(Ticket, c.ticket_id)
            return _callback_view(c, time.time(), t.transcripts if t is not None else None)

    async def complete_callback(self, callback_id: str, *, actor: str, audit: bool) -> CallbackView:
        """Mark a callback done and close its task on the ticket (pending becomes resolved)."""
        now = time.time()
        async with self.session() as session, session.begin():
            c = await session.get(Callback, callback_id, with_for_update=True)
            if c is None:
                raise NotFoundError("callback", callback_id)
            c.status, c.completed_at = CallbackStatus.DONE.value, c.completed_at or now
            t = await session.get(Ticket, c.ticket_id, with_for_update=True)
            for waiting in ([t] if t is not None else []) + await _joined_tickets(session, c):
                remaining = await session.scalar(
                    select(func.count())
                    .select_from(Callback)
                    .where(
                        Callback.ticket_id == waiting.id,
                        Callback.status == CallbackStatus.DUE.value,
                        Callback.id != c.id,
                    )
                )
                if not remaining:
                    waiting.callback_at = None
                    if waiting.status == TicketStatus.PENDING.value:
                        waiting.status = TicketStatus.RESOLVED.value
                waiting.updated_at = now
            if audit:
                session.add(
                    access.audit_entry(
                        actor, "callback.complete", c.id, {}, {"status": "done"}, now
                    )
                )
            return _callback_view(c, now)


async def settle_late_joins(
    session: AsyncSession, joined: list[tuple[Ticket, dict[str, Any]]]
) -> None:
    """A call that joined a callback already done (its event persisted after the completion)
    is resolved with it, not left pending on a task nobody will work again.

    Read without a lock: completion locks the callback, then tickets; taking them the
    other way round here could deadlock the two.
    """
    named = {d["callback_id"] for _, d in joined if isinstance(d.get("callback_id"), str)}
    if not named:
        return
    done = set(
        await session.scalars(
            select(Callback.id).where(
                Callback.id.in_(named), Callback.status == CallbackStatus.DONE.value
            )
        )
    )
    for ticket, data in joined:
        if data.get("callback_id") in done and ticket.status == TicketStatus.PENDING.value:
            ticket.status = TicketStatus.RESOLVED.value
            ticket.callback_at = None


async def _joined_tickets(session: AsyncSession, c: Callback) -> list[Ticket]:
    """Pending tickets of other calls of the number that joined callback `c` (no row of
    their own: "callback.joined" events name it)."""
    if not c.number:
        return []
    pending = select(Ticket.id).where(
        Ticket.caller == c.number,
        Ticket.status == TicketStatus.PENDING.value,
        Ticket.id != c.ticket_id,
    )
    rows = await session.execute(
        select(Event.ticket_id, Event.data).where(
            Event.type == "callback.joined", Event.ticket_id.in_(pending)
        )
    )
    ids = {tid for tid, data in rows if isinstance(data, dict) and data.get("callback_id") == c.id}
    if not ids:
        return []
    found = await session.scalars(select(Ticket).where(Ticket.id.in_(ids)).with_for_update())
    return list(found)


def _callback_view(c: Callback, now: float, transcripts: list[Any] | None = None) -> CallbackView:
    return CallbackView(
        id=c.id,
        ticket_id=c.ticket_id,
        number=c.number,
        language=c.language,
        topic=c.topic,
        emotion=c.emotion,
        agent_id=c.agent_id,
        due_at=c.due_at,
        status=c.status,
        overdue=c.status == CallbackStatus.DUE.value and c.due_at < now,
        completed_at=c.completed_at,
        utterances=utterances_of(transcripts),
    )
