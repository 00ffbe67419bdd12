"""The callbacks API: the due list (per agent) and completing a callback."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status
from redis.exceptions import RedisError

from ivr.api.audit import actor
from ivr.api.auth import PrincipalDep
from ivr.api.deps import KeysDep, RedisDep, TicketStoreDep
from ivr.errors import NotFoundError
from ivr.routing.callbacks import release_callback
from ivr.security import Role
from ivr.tickets.views import CallbackView

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/callbacks", tags=["callbacks"])


@router.get("", response_model=list[CallbackView])
async def due_callbacks(
    principal: PrincipalDep,
    store: TicketStoreDep,
    agent_id: Annotated[str | None, Query(max_length=64)] = None,
    within_hours: Annotated[float | None, Query(ge=0, le=24 * 366)] = None,
) -> list[CallbackView]:
    """Open callbacks, soonest first, overdue ones flagged; an agent gets their own."""
    if principal.role is Role.AGENT:
        if agent_id not in (None, principal.agent_id):
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="only your own callbacks")
        agent_id = principal.agent_id
    due_within = within_hours * 3600 if within_hours is not None else None
    return await store.callbacks(agent_id=agent_id, due_within=due_within)


@router.post("/{callback_id}/complete", response_model=CallbackView)
async def complete_callback(
    callback_id: Annotated[str, Path(max_length=96)],
    principal: PrincipalDep,
    store: TicketStoreDep,
    redis: RedisDep,
    keys: KeysDep,
) -> CallbackView:
    """Mark a callback done; its task on the ticket closes and the caller may ask anew."""
    try:
        task = await store.get_callback(callback_id)
        if principal.role is Role.AGENT and task.agent_id != principal.agent_id:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail="this callback is not yours")
        # Audited for every role: closing a callback edits the caller's ticket.
        done = await store.complete_callback(callback_id, actor=actor(principal), audit=True)
    except NotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    try:
        await release_callback(redis, keys=keys, callback_id=done.id, number=done.number)
    except RedisError as exc:  # done in the store; the number's record lapses by itself
        log.warning("callback %s done; its number stays held until it lapses: %s", done.id, exc)
    return done
