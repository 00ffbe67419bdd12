"""Bearer-token auth for the JSON API: a request's token becomes a `Principal`.

Roles, principals and token hashing live below the API in `ivr.security`.
`IVR_ADMIN_TOKEN` is accepted as admin in addition, so a fresh deployment can
create its first tokens.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ivr.config import Settings
from ivr.security import Principal, Role, TokenLookup, hash_token

# Only describes the scheme in OpenAPI (auto_error=False): _bearer still decides what is
# refused, with the same 401 and WWW-Authenticate header as before.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token issued by an admin, or IVR_ADMIN_TOKEN",
)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or malformed 'Authorization: Bearer TOKEN' header",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token


async def current_principal(
    request: Request,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)] = None,
) -> Principal:
    """The principal behind the request's bearer token; 401 when there is none or it is invalid."""
    token = _bearer(request)
    settings: Settings | None = getattr(request.app.state, "settings", None)
    admin_token = settings.admin_token if settings is not None else ""
    # Constant-time compare: the admin token must not leak through response timing.
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role=Role.ADMIN, token_id="env:IVR_ADMIN_TOKEN")
    store: TokenLookup | None = getattr(request.app.state, "tickets", None)
    principal = await store.principal_for_token_hash(hash_token(token)) if store else None
    if principal is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="invalid, revoked or expired token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def require_roles(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the principal, or 403 when its role is not one of `roles`."""
    allowed = frozenset(roles)

    async def dependency(
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {principal.role.value!r} may not do this (needs: {names})",
            )
        return principal

    return dependency


AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
AdminOrSupervisorDep = Annotated[Principal, Depends(require_roles(Role.ADMIN, Role.SUPERVISOR))]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
