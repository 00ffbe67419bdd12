"""API tokens: how they are made, and the hash they are stored as.

Tokens are stored as sha256 hashes, so a copy of the database never yields a
usable token.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

from ivr.security.principals import Principal

TOKEN_PREFIX = "ivr_"


class TokenLookup(Protocol):
    """Where a token's principal is found (ivr.tickets.store.TicketStore)."""

    async def principal_for_token_hash(self, token_hash: str) -> Principal | None:
        """The principal of a live (unrevoked, unexpired) token, else None."""
        ...


def hash_token(token: str) -> str:
    """The sha256 hex digest a token is stored as."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random API token (shown once, stored only hashed)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)
