"""Security primitives below both the API and the ticket store: roles, principals, tokens.

Nothing here knows about HTTP or the database; `ivr.api.auth` turns a request into a
`Principal`, and `ivr.tickets.access` keeps tokens as the hashes made here.
"""

from ivr.security.principals import Principal, Role
from ivr.security.tokens import TOKEN_PREFIX, TokenLookup, hash_token, new_token

__all__ = ["TOKEN_PREFIX", "Principal", "Role", "TokenLookup", "hash_token", "new_token"]
