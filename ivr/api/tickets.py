"""The tickets API: list, read and patch tickets; a caller's history for the screen pop.

Admins and supervisors see every ticket; an agent sees and edits only the
tickets routed to them. Admin and supervisor changes go to the audit log.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from pydantic import ValidationError

from ivr.api.audit import actor
from ivr.api.auth import PrincipalDep
from ivr.api.deps import BankZoneDep, KeysDep, RedisDep, TicketStoreDep
from ivr.bank_time import as_epoch, date_start
from ivr.errors import InvalidInputError, NotFoundError
from ivr.ids import Emotion, Topic
from ivr.security import Principal, Role
from ivr.tickets.customers import write_summaries
from ivr.tickets.views import CustomerHistory, TicketFilter, TicketPatch, TicketView

router = APIRouter(prefix="/api", tags=["tickets"])

MAX_PATCH_BYTES = 16 * 1024
# Far beyond any real page, and within the 64-bit integers databases take for OFFSET.
MAX_OFFSET = 10**9
TicketId = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_:.-]+$")]
WHEN_DESCRIPTION = (
    "ISO 8601 date (that day of the bank's, IVR_TIMEZONE) or date-time (on the bank's "
    "clock unless it carries an offset), or epoch seconds"
)


def parse_when(value: str | None, *, field: str, zone: ZoneInfo) -> float | None:
    """Epoch seconds, or an ISO 8601 date or date-time on the bank's clock, as epoch seconds.

    A date is the start of that day in `zone` (the bank's day); a date-time without an
    offset is read on the bank's clock; an explicit offset (or Z) is honoured as given.
    """
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        if len(value) == 10:
            return date_start(date.fromisoformat(value), zone)
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["query", field],
                    "msg": "expected an ISO 8601 date or date-time",
                    "type": "value_error",
                }
            ],
        ) from None
    return as_epoch(when, zone)


def may_see(principal: Principal, ticket: TicketView) -> bool:
    """Admins and supervisors see every ticket; an agent only those routed to them."""
    if principal.role is not Role.AGENT:
        return True
    return principal.agent_id is not None and ticket.agent_id == principal.agent_id


def _not_found(exc: NotFoundError) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc))


def _forbidden() -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, detail="this ticket is not routed to you")


@router.get("/tickets", response_model=list[TicketView])
async def list_tickets(
    principal: PrincipalDep,
    store: TicketStoreDep,
    zone: BankZoneDep,
    caller: Annotated[str | None, Query(max_length=64)] = None,
    topic: Topic | None = None,
    emotion: Emotion | None = None,
    status_: Annotated[Literal["open", "pending", "resolved"] | None, Query(alias="status")] = None,
    since: Annotated[str | None, Query(description=WHEN_DESCRIPTION)] = None,
    until: Annotated[str | None, Query(description=WHEN_DESCRIPTION)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> list[TicketView]:
    """Tickets, newest first; an agent gets only the tickets routed to them."""
    agent_id = None
    if principal.role is Role.AGENT:
        if not principal.agent_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="agent token without an agent")
        agent_id = principal.agent_id
    flt = TicketFilter(
        caller=caller,
        topic=topic.value if topic else None,
        emotion=emotion.value if emotion else None,
        status=status_,
        agent_id=agent_id,
        since=parse_when(since, field="since", zone=zone),
        until=parse_when(until, field="until", zone=zone),
        limit=limit,
        offset=offset,
    )
    return await store.list(flt)


@router.get("/tickets/{ticket_id}", response_model=TicketView)
async def get_ticket(
    ticket_id: TicketId, principal: PrincipalDep, store: TicketStoreDep
) -> TicketView:
    """One ticket with every event of its call."""
    try:
        ticket = await store.get(ticket_id)
    except NotFoundError as exc:
        raise _not_found(exc) from None
    if not may_see(principal, ticket):
        raise _forbidden()
    return ticket


async def _read_limited(request: Request) -> bytes:
    """The request body, refusing more than MAX_PATCH_BYTES without reading it all."""
    declared = request.headers.get("content-length")
    if declared and (not declared.isdigit() or int(declared) > MAX_PATCH_BYTES):
        raise HTTPException(413, detail="body too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PATCH_BYTES:
            raise HTTPException(413, detail="body too large")
    return bytes(body)


def _parse_patch(body: bytes) -> TicketPatch:
    try:
        document: Any = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body"], "msg": "the body must be a JSON object", "type": "type_error"}
            ],
        ) from None
    except RecursionError:
        # Thousands of nested brackets exhaust the parser's stack; no patch nests.
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body"], "msg": "the body is nested too deeply", "type": "value_error"}
            ],
        ) from None
    if not isinstance(document, dict):
        raise HTTPException(
            422,
            detail=[
                {"loc": ["body"], "msg": "the body must be a JSON object", "type": "type_error"}
            ],
        )
    try:
        return TicketPatch.model_validate(document)
    except ValidationError as exc:
        errors = [
            {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()
        ]
        raise HTTPException(422, detail=errors) from None


@router.patch(
    "/tickets/{ticket_id}",
    response_model=TicketView,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": TicketPatch.model_json_schema()}},
        }
    },
)
async def patch_ticket(
    ticket_id: TicketId,
    request: Request,
    principal: PrincipalDep,
    store: TicketStoreDep,
    redis: RedisDep,
    keys: KeysDep,
    zone: BankZoneDep,
) -> TicketView:
    """Change notes, status, disposition or callback_at; nothing else, nothing on error."""
    change = _parse_patch(await _read_limited(request))
    if change.callback_at is not None and change.callback_at.tzinfo is None:
        # A time without an offset is on the bank's clock, as the API's query dates are.
        change.callback_at = change.callback_at.replace(tzinfo=zone)
    due = change.callback_epoch()
    if due is not None and due < time.time():
        raise HTTPException(
            422,
            detail=[
                {
                    "loc": ["body", "callback_at"],
                    "msg": "callback_at is in the past: a callback must be scheduled ahead",
                    "type": "value_error",
                }
            ],
        )
    try:
        current = await store.get(ticket_id, with_events=False)
        if not may_see(principal, current):
            raise _forbidden()
        # Every role's edit is audited (agents' too): a ticket is the bank's record.
        ticket = await store.patch(current.id, change, actor=actor(principal), audit=True)
    except NotFoundError as exc:
        raise _not_found(exc) from None
    except InvalidInputError as exc:
        loc = ["body", exc.field] if exc.field else ["body"]
        detail = [{"loc": loc, "msg": str(exc), "type": "value_error"}]
        raise HTTPException(422, detail=detail) from None
    if ticket.caller:
        # Resolving a complaint changes what routing knows of the caller.
        summaries = await store.customer_summaries({ticket.caller})
        await write_summaries(redis, keys=keys, summaries=summaries)
    return ticket


@router.get("/customers/{phone}", response_model=CustomerHistory)
async def customer_history(
    phone: Annotated[str, Path(max_length=64)], principal: PrincipalDep, store: TicketStoreDep
) -> CustomerHistory:
    """A caller's record and recent tickets (an agent: only a caller once routed to them)."""
    history = await store.customer_history(phone)
    visible = [t for t in history.tickets if may_see(principal, t)]
    if principal.role is Role.AGENT and not visible:
        # Whether the bank knows this number is itself the customer's business.
        raise HTTPException(404, detail="no customer of yours has this number")
    history.tickets = visible
    return history
