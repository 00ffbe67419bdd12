"""The audit log: every admin change (and every ticket edit), who, when, what, before and after.

One module every writer calls. A change made in the ticket store's own
transaction adds `entry(...)` to that session, so the change and its record
commit together; a change kept elsewhere (agents in Redis, flows on disk)
calls `AuditLog.record` once it is done.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.tickets.models import AuditEntry
from ivr.tickets.views import AuditView

MAX_VALUE_CHARS = 500  # a before/after value is a summary, not a copy of a whole file


def _jsonable(value: Any) -> Any:
    if isinstance(value, bool | int | float | type(None)):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value][:50]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in list(value.items())[:50]}
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "…"


def entry(
    actor: str,
    action: str,
    target: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    *,
    summary: str = "",
    at: float | None = None,
) -> AuditEntry:
    """An audit-log row for one change (add it to the session that makes the change)."""
    changes: dict[str, Any] = {
        "before": _jsonable(dict(before or {})),
        "after": _jsonable(dict(after or {})),
    }
    if summary:
        changes["summary"] = summary[:MAX_VALUE_CHARS]
    return AuditEntry(
        at=time.time() if at is None else at,
        actor=actor[:64],
        action=action[:64],
        target=target[:96],
        changes=changes,
    )


def view(row: AuditEntry) -> AuditView:
    """The API's view of one audit row."""
    return AuditView(
        at=row.at, actor=row.actor, action=row.action, target=row.target, changes=row.changes
    )


class AuditLog:
    """Writes and reads the audit log in the ticket store's database."""

    def __init__(self, *, sessions: Callable[[], AsyncSession]) -> None:
        self._sessions = sessions

    async def record(
        self,
        actor: str,
        action: str,
        target: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        *,
        summary: str = "",
    ) -> None:
        """Record one change that is already done."""
        async with self._sessions() as session, session.begin():
            session.add(entry(actor, action, target, before, after, summary=summary))

    async def entries(
        self,
        *,
        limit: int = 100,
        target: str | None = None,
        action: str | None = None,
        since: float | None = None,
    ) -> list[AuditView]:
        """The newest entries; optionally of one target, one action (or prefix 'flow.'), since."""
        query = select(AuditEntry)
        if target is not None:
            query = query.where(AuditEntry.target == target)
        if action is not None:
            if action.endswith("."):
                query = query.where(AuditEntry.action.startswith(action, autoescape=True))
            else:
                query = query.where(AuditEntry.action == action)
        if since is not None:
            query = query.where(AuditEntry.at >= since)
        query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
        async with self._sessions() as session:
            return [view(row) for row in await session.scalars(query)]
