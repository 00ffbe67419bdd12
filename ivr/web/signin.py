"""Sign-in (an API token exchanged for a session cookie), sign-out, and the language choice."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ivr.api.deps import SettingsDep, TicketStoreDep
from ivr.ids import Language
from ivr.security import Principal, Role, TokenLookup, hash_token
from ivr.web.guard import CsrfFailed, SessionStoreDep, SignedIn, SignedInWrite, csrf_matches
from ivr.web.sessions import SESSION_COOKIE
from ivr.web.templating import render
from ivr.web.text import LANG_COOKIE

router = APIRouter(include_in_schema=False)

SIGNIN_CSRF_COOKIE = "ivr_signin_csrf"
HOME_BY_ROLE = {Role.AGENT: "/console", Role.SUPERVISOR: "/dashboard", Role.ADMIN: "/dashboard"}


def safe_next(value: str | None) -> str | None:
    """`value` when it is a path on this site (never another host), else None."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


async def principal_for_token(
    token: str, *, admin_token: str, store: TokenLookup
) -> Principal | None:
    """Who a token belongs to (IVR_ADMIN_TOKEN or a live created token), else None."""
    token = token.strip()
    if not token or len(token) > 512:
        return None
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return Principal(role=Role.ADMIN, token_id="env:IVR_ADMIN_TOKEN")
    return await store.principal_for_token_hash(hash_token(token))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _signin_page(
    request: Request, *, error: str = "", next_path: str = "", status: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    request.state.signin_csrf = token
    expired = request.query_params.get("expired") == "1"
    response = render(
        request,
        "signin.html",
        {"error": error, "next_path": next_path, "expired": expired},
        status_code=status,
    )
    response.set_cookie(
        SIGNIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=3600,
        path="/signin",
    )
    return response


@router.get("/signin")
async def signin_form(request: Request, next: str | None = None) -> HTMLResponse:
    """The sign-in form."""
    return _signin_page(request, next_path=safe_next(next) or "")


@router.post("/signin", response_model=None)
async def signin(
    request: Request,
    settings: SettingsDep,
    store: TicketStoreDep,
    sessions: SessionStoreDep,
    token: Annotated[str, Form(max_length=600)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Exchange a token for a session cookie; a bad token gets the form again, saying so."""
    if not csrf_matches(request.cookies.get(SIGNIN_CSRF_COOKIE, ""), csrf):
        raise CsrfFailed()
    principal = await principal_for_token(token, admin_token=settings.admin_token, store=store)
    if principal is None:
        from ivr.web.text import page_language, translate

        message = translate(page_language(request), "signin_bad_token")
        return _signin_page(request, error=message, next_path=safe_next(next) or "", status=401)
    session = await sessions.start(principal)
    response = RedirectResponse(safe_next(next) or HOME_BY_ROLE[principal.role], status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.id,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        max_age=sessions.seconds,
        path="/",
    )
    response.delete_cookie(SIGNIN_CSRF_COOKIE, path="/signin")
    return response


@router.post("/signout")
async def signout(
    request: Request, session: SignedInWrite, sessions: SessionStoreDep
) -> RedirectResponse:
    """End the session (on the server, not only the cookie)."""
    await sessions.end(session.id)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session")
async def who_am_i(session: SignedIn) -> dict[str, str | None]:
    """Whether this browser is still signed in (401 when not), and as whom."""
    return {"role": session.role.value, "agent_id": session.agent_id}


@router.get("/lang")
async def choose_language(request: Request, to: str, next: str | None = None) -> RedirectResponse:
    """Remember the user's page language (a year) and go back."""
    response = RedirectResponse(safe_next(next) or "/signin", status_code=303)
    if to in {lang.value for lang in Language}:
        response.set_cookie(
            LANG_COOKIE, to, samesite="strict", secure=_secure(request), max_age=365 * 86400
        )
    return response
