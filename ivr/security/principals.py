"""Who may call the API, and as what: the three roles and the principal holding one."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel


class Role(StrEnum):
    """What a token may do."""

    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AGENT = "agent"


class Principal(BaseModel):
    """Who is calling the API."""

    role: Role
    agent_id: str | None = None
    token_id: str | None = None
