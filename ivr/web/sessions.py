"""Signed-in browser sessions, kept server-side in Redis under ivr.keys.

The browser holds only a random session id in an HttpOnly, SameSite=Strict
cookie; the principal and the session's CSRF token live in Redis and expire
after `IVR_WEB_SESSION_SECONDS` without a request (each request renews it).
"""

from __future__ import annotations

import secrets

import redis.asyncio as aioredis
from pydantic import BaseModel

from ivr.keys import Keys
from ivr.security import Principal, Role

SESSION_COOKIE = "ivr_session"


class WebSession(BaseModel):
    """Who is signed in on one browser, and the token its forms must carry."""

    id: str
    role: Role
    agent_id: str | None = None
    token_id: str | None = None
    csrf: str

    @property
    def principal(self) -> Principal:
        """The same principal the JSON API would see for this session's token."""
        return Principal(role=self.role, agent_id=self.agent_id, token_id=self.token_id)


class SessionStore:
    """Creates, finds (renewing the expiry) and ends sessions."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys, seconds: int) -> None:
        self._redis = redis
        self._keys = keys
        self.seconds = seconds

    async def start(self, principal: Principal) -> WebSession:
        """A new session for `principal`, with a fresh id and CSRF token."""
        session = WebSession(
            id=secrets.token_urlsafe(32),
            role=principal.role,
            agent_id=principal.agent_id,
            token_id=principal.token_id,
            csrf=secrets.token_urlsafe(32),
        )
        await self._redis.set(
            self._keys.web_session(session.id), session.model_dump_json(), ex=self.seconds
        )
        return session

    async def find(self, session_id: str | None) -> WebSession | None:
        """The live session with this id (its expiry renewed), else None."""
        if not session_id or len(session_id) > 100:
            return None
        key = self._keys.web_session(session_id)
        raw = await self._redis.getex(key, ex=self.seconds)
        return WebSession.model_validate_json(raw) if raw else None

    async def end(self, session_id: str | None) -> None:
        """Sign out: the session is gone at once."""
        if session_id and len(session_id) <= 100:
            await self._redis.delete(self._keys.web_session(session_id))
