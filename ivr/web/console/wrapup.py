"""The calming checklist and the wrap-up, written onto the call's ticket.

Ticks and the wrap-up's extra facts (was the bank at fault, the final
checklist) are call events on the stream, so the ticket keeps them in its
event history; notes, disposition, status and the callback go through the
ticket store's patch, which redacts what a caller could read back later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ivr.api.deps import BankZoneDep, RouterDep, TicketStoreDep
from ivr.bank_time import as_epoch
from ivr.errors import InvalidInputError, NotFoundError
from ivr.events import CallEvent, EventLog, event_id
from ivr.security.redact import redact
from ivr.tickets.models import ticket_id
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketPatch, TicketView
from ivr.web.console.coaching import CALMING_STEPS
from ivr.web.guard import AgentWrite

router = APIRouter(include_in_schema=False)

CALL_SID = Annotated[str, Path(pattern=r"^CA[0-9a-fA-F]{32}$")]
TICKET_WAIT_SECONDS = 5.0  # the persister stores a call's events within moments


class Tick(BaseModel):
    """One calming step ticked (or unticked) during the call."""

    model_config = ConfigDict(extra="forbid")

    step: str

    done: bool

    @field_validator("step")
    @classmethod
    def _known_step(cls, value: str) -> str:
        if value not in CALMING_STEPS:
            raise ValueError(f"unknown calming step; one of {', '.join(CALMING_STEPS)}")
        return value


class WrapUp(BaseModel):
    """What the agent records when the call is over."""

    model_config = ConfigDict(extra="forbid")

    notes: str = Field(default="", max_length=10_000)
    disposition: str = Field(default="", max_length=200)
    bank_at_fault: Literal["yes", "no", "unsure"] = "unsure"
    status: Literal["resolved", "pending"] = "resolved"
    callback_at: datetime | None = None
    checklist: list[str] = Field(default_factory=list)

    @field_validator("checklist")
    @classmethod
    def _known_steps(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in CALMING_STEPS]
        if unknown:
            raise ValueError(f"unknown calming steps: {', '.join(unknown)}")
        return value


def check_callback(
    when: datetime | None, *, now: float, days: float, zone: ZoneInfo
) -> float | None:
    """The callback time as epoch seconds, when it lies ahead and within the policy's days.

    The agent types a date and time without a zone (the page's datetime-local field): it
    is on the bank's clock, `zone`, wherever the agent's browser is set.
    """
    if when is None:
        return None
    at = as_epoch(when, zone)
    if at <= now:
        raise InvalidInputError(
            "the callback time has passed; pick a time ahead", field="callback_at"
        )
    if at > now + days * 86400:
        raise InvalidInputError(
            f"the manual allows a callback within {days:g} days; pick an earlier date",
            field="callback_at",
        )
    return at


async def my_ticket(store: TicketStore, call_sid: str, agent_id: str | None) -> TicketView:
    """The call's ticket when it was put through to this agent (waiting briefly for it)."""
    ident = ticket_id(call_sid)
    deadline = time.monotonic() + TICKET_WAIT_SECONDS
    while True:
        try:
            ticket = await store.get(ident, with_events=False)
            if ticket.agent_id == agent_id:
                return ticket
        except NotFoundError:
            pass
        if time.monotonic() >= deadline:
            raise NotFoundError("ticket of your call", call_sid)
        await asyncio.sleep(0.2)


def _event(call_sid: str, kind: str, data: Mapping[str, object]) -> CallEvent:
    now = time.time()
    return CallEvent(
        id=event_id(call_sid, f"console:{kind}:{time.time_ns()}"),
        call_sid=call_sid,
        at=now,
        type=kind,
        data=dict(data),
    )


@router.post("/console/calls/{call_sid}/checklist")
async def tick(
    call_sid: CALL_SID, body: Tick, session: AgentWrite, request: Request, store: TicketStoreDep
) -> dict[str, object]:
    """Tick a calming step during the call; the ticket keeps every tick."""
    await my_ticket(store, call_sid, session.agent_id)
    events: EventLog = request.app.state.events
    data = {"step": body.step, "done": body.done, "agent_id": session.agent_id}
    await events.append([_event(call_sid, "agent.checklist", data)])
    return data


@router.post("/console/calls/{call_sid}/wrap-up")
async def wrap_up(
    call_sid: CALL_SID,
    body: WrapUp,
    session: AgentWrite,
    request: Request,
    store: TicketStoreDep,
    routing: RouterDep,
    zone: BankZoneDep,
) -> TicketView:
    """Save the wrap-up onto the ticket (notes and disposition redacted on the way in)."""
    ticket = await my_ticket(store, call_sid, session.agent_id)
    due = check_callback(
        body.callback_at, now=time.time(), days=routing.policy.callbacks.due_days, zone=zone
    )
    patch: dict[str, object] = {
        "notes": body.notes or None,
        "disposition": body.disposition or None,
        "status": "pending" if due is not None else body.status,
    }
    if due is not None:
        patch["callback_at"] = due
    actor = f"agent:{session.agent_id}"
    saved = await store.patch(
        ticket.id, TicketPatch.model_validate(patch, strict=False), actor=actor, audit=False
    )
    events: EventLog = request.app.state.events
    facts = {
        "agent_id": session.agent_id,
        "bank_at_fault": body.bank_at_fault,
        "status": saved.status,
        "checklist": body.checklist,
        "disposition": redact(body.disposition),
    }
    await events.append([_event(call_sid, "agent.wrap_up", facts)])
    return saved
