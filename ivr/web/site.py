"""Putting the pages on the app: static files, security headers, routers, error pages.

`add_pages(app)` is called once by ivr.app. A page module adds its router to
PAGE_ROUTERS below (see ivr/web/README.md).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ivr.web.guard import CsrfFailed, RoleRefused, SignInRequired
from ivr.web.headers import SecurityHeaders
from ivr.web.templating import render
from ivr.web.text import page_language, translate

STATIC_DIR = Path(__file__).parent / "static"

# Modules under ivr.web with a `router`; add yours here.
PAGE_ROUTERS: tuple[str, ...] = (
    "ivr.web.signin",
    "ivr.web.live",
    "ivr.web.console.pages",
    "ivr.web.console.ringing",
    "ivr.web.console.wrapup",
    "ivr.web.dashboard.pages",
    "ivr.web.api_docs",
    "ivr.web.studio",
    "ivr.web.roster",
)

ROLE_TEXT = {"admin": "role_admin", "supervisor": "role_supervisor", "agent": "role_agent"}


def add_pages(app: FastAPI) -> None:
    """Serve the pages, their assets and their error pages; add the security headers."""
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for name in PAGE_ROUTERS:
        app.include_router(import_module(name).router)
    app.add_exception_handler(SignInRequired, _signin_required)
    app.add_exception_handler(RoleRefused, _role_refused)
    app.add_exception_handler(CsrfFailed, _csrf_failed)


async def _signin_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if exc.page:
        return RedirectResponse(exc.signin_url, status_code=303)
    return JSONResponse(
        {"detail": "sign in first", "signin": exc.signin_url + "&expired=1"}, status_code=401
    )


async def _role_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RoleRefused)
    language = page_language(request)
    roles = " / ".join(translate(language, ROLE_TEXT[r.value]) for r in sorted(exc.roles))
    role = translate(language, ROLE_TEXT[exc.session.role.value])
    message = translate(language, "refused_text", roles=roles, role=role)
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=403)
    return render(request, "refused.html", {"message": message}, status_code=403)


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    message = translate(page_language(request), "csrf_failed")
    if "text/html" not in request.headers.get("accept", ""):
        return JSONResponse({"detail": message}, status_code=403)
    return render(request, "message.html", {"message": message}, status_code=403)
