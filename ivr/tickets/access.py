"""API tokens (stored as sha256 hashes) and the admin audit log."""

from __future__ import annotations

import secrets
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.errors import InvalidInputError, NotFoundError
from ivr.security import Principal, Role, hash_token, new_token
from ivr.tickets import audit
from ivr.tickets.models import ApiToken, AuditEntry
from ivr.tickets.views import AuditView, TokenView


def audit_entry(
    actor: str, action: str, target: str, before: dict[str, Any], after: dict[str, Any], at: float
) -> AuditEntry:
    """An audit-log row recording one admin change (see ivr.tickets.audit)."""
    return audit.entry(actor, action, target, before, after, at=at)


def _token_view(row: ApiToken) -> TokenView:
    return TokenView(
        id=row.id,
        role=row.role,
        agent_id=row.agent_id,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


class AccessRecords:
    """Token and audit-log methods of the ticket store (mixed into TicketStore)."""

    def session(self) -> AsyncSession:
        """A new database session; provided by the store."""
        raise NotImplementedError

    async def create_token(
        self,
        role: Role,
        *,
        agent_id: str | None = None,
        ttl_seconds: float | None = None,
        actor: str = "cli",
    ) -> tuple[str, TokenView]:
        """A new token (returned once, in clear) and its record; an agent token names its agent."""
        if role is Role.AGENT and not agent_id:
            raise InvalidInputError("an agent token needs --agent ID", field="agent_id")
        if role is not Role.AGENT and agent_id:
            raise InvalidInputError("only agent tokens name an agent", field="agent_id")
        token, now = new_token(), time.time()
        row = ApiToken(
            id="tok_" + secrets.token_hex(8),
            token_hash=hash_token(token),
            role=role.value,
            agent_id=agent_id,
            created_at=now,
            expires_at=now + ttl_seconds if ttl_seconds else None,
        )
        async with self.session() as session, session.begin():
            session.add(row)
            session.add(audit_entry(actor, "token.create", row.id, {}, {"role": role.value}, now))
        return token, _token_view(row)

    async def principal_for_token_hash(self, token_hash: str) -> Principal | None:
        """The principal of a live token with this hash; None when unknown, revoked or expired."""
        async with self.session() as session:
            row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))
        if row is None or row.revoked_at is not None:
            return None
        if row.expires_at is not None and row.expires_at <= time.time():
            return None
        return Principal(role=Role(row.role), agent_id=row.agent_id, token_id=row.id)

    async def revoke_token(self, token_id: str, *, actor: str = "cli") -> TokenView:
        """Revoke a token by its id; it stops working at once."""
        now = time.time()
        async with self.session() as session, session.begin():
            row = await session.get(ApiToken, token_id)
            if row is None:
                raise NotFoundError("token", token_id)
            row.revoked_at = row.revoked_at or now
            session.add(audit_entry(actor, "token.revoke", token_id, {}, {}, now))
            return _token_view(row)

    async def tokens(self) -> list[TokenView]:
        """Every token record, newest first."""
        async with self.session() as session:
            rows = await session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc()))
            return [_token_view(r) for r in rows]

    async def audit_log(self, *, limit: int = 100) -> list[AuditView]:
        """The newest admin changes."""
        return await audit.AuditLog(sessions=self.session).entries(limit=limit)
