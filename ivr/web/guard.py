"""Who may see a page: the session behind the cookie, the role a page needs, CSRF on writes.

A page route declares what it needs and gets the session:

    @router.get("/console")
    async def console(request: Request, session: AgentPage) -> HTMLResponse: ...

    @router.post("/console/status")
    async def set_status(session: AgentWrite, ...) -> ...: ...

Signed out (or expired): a page GET is redirected to /signin?next=PATH, any
other request gets 401 JSON `{"detail", "signin"}` so a script can keep what
was typed and go to sign-in. A session of another role gets 403 and a page
saying whose page it is, and nothing else. `*Write` dependencies also check
the CSRF token (form field `csrf` or header `X-CSRF-Token`).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, cast
from urllib.parse import quote

from fastapi import Depends, Request

from ivr.security import Role
from ivr.web.sessions import SESSION_COOKIE, SessionStore, WebSession

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


class SignInRequired(Exception):
    """No live session: the handler sends a page to sign-in, a script a 401."""

    def __init__(self, next_path: str, *, page: bool) -> None:
        super().__init__("sign in first")
        self.next_path = next_path
        self.page = page

    @property
    def signin_url(self) -> str:
        """Where to sign in and come back."""
        return "/signin?next=" + quote(self.next_path, safe="/")


class RoleRefused(Exception):
    """Signed in, with a role this page is not for."""

    def __init__(self, session: WebSession, roles: frozenset[Role]) -> None:
        super().__init__(f"role {session.role.value!r} may not see this")
        self.session = session
        self.roles = roles


class CsrfFailed(Exception):
    """A write without this session's CSRF token."""


async def get_session_store(request: Request) -> SessionStore:
    """The session store, made on first use from the running services' Redis."""
    state = request.app.state
    store = getattr(state, "web_sessions", None)
    if store is None:
        store = SessionStore(
            redis=state.redis, keys=state.keys, seconds=state.settings.web_session_seconds
        )
        state.web_sessions = store
    return cast(SessionStore, store)


SessionStoreDep = Annotated[SessionStore, Depends(get_session_store)]


async def current_session(request: Request, store: SessionStoreDep) -> WebSession:
    """The live session behind the cookie; SignInRequired otherwise."""
    session = await store.find(request.cookies.get(SESSION_COOKIE))
    if session is None:
        target = request.url.path if request.method == "GET" else "/"
        page = request.method == "GET" and "text/html" in request.headers.get("accept", "")
        raise SignInRequired(target, page=page)
    request.state.web_session = session
    return session


async def _csrf_token(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def csrf_matches(expected: str, given: str) -> bool:
    """Constant-time comparison of CSRF tokens (empty never matches)."""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def require_page_role(*roles: Role, write: bool = False) -> Callable[..., Awaitable[WebSession]]:
    """A dependency: the session when its role is one of `roles` (and, for writes, CSRF holds)."""
    allowed = frozenset(roles)

    async def dependency(
        request: Request, session: Annotated[WebSession, Depends(current_session)]
    ) -> WebSession:
        if session.role not in allowed:
            raise RoleRefused(session, allowed)
        if write and not csrf_matches(session.csrf, await _csrf_token(request)):
            raise CsrfFailed()
        return session

    return dependency


ANY_ROLE = (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)

SignedIn = Annotated[WebSession, Depends(require_page_role(*ANY_ROLE))]
SignedInWrite = Annotated[WebSession, Depends(require_page_role(*ANY_ROLE, write=True))]
AgentPage = Annotated[WebSession, Depends(require_page_role(Role.AGENT))]
AgentWrite = Annotated[WebSession, Depends(require_page_role(Role.AGENT, write=True))]
SupervisorPage = Annotated[WebSession, Depends(require_page_role(Role.ADMIN, Role.SUPERVISOR))]
SupervisorWrite = Annotated[
    WebSession, Depends(require_page_role(Role.ADMIN, Role.SUPERVISOR, write=True))
]
AdminPage = Annotated[WebSession, Depends(require_page_role(Role.ADMIN))]
AdminWrite = Annotated[WebSession, Depends(require_page_role(Role.ADMIN, write=True))]
