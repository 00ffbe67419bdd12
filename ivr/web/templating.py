"""Jinja2 templates with autoescape on: whatever a user or caller typed is escaped by the engine.

`render(request, "page.html", {...})` gives every template `t` (page text in
the user's language), `lang`, `session` (None when signed out), `csrf` (the
token forms carry in a hidden `csrf` field and fetches in `X-CSRF-Token`) and
`static(path)` (a URL under /static) and `timezone` (the bank's IVR_TIMEZONE, which
pages name wherever they show a date and scripts read from `<html data-timezone>`
to show times on the bank's clock, whatever the browser's own zone). Never mark
text safe by hand.
"""

from __future__ import annotations

from functools import cache, partial
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ivr.web.sessions import WebSession
from ivr.web.text import page_language, translate

TEMPLATE_DIR = Path(__file__).parent / "templates"


@cache
def environment() -> jinja2.Environment:
    """The one template environment (autoescape for every template, undefined is an error)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def static_url(path: str) -> str:
    """The URL of a file under ivr/web/static."""
    return "/static/" + path.lstrip("/")


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page `template`, in the user's language, with the session and CSRF token."""
    language = page_language(request)
    session: WebSession | None = getattr(request.state, "web_session", None)
    values: dict[str, Any] = {
        "t": partial(translate, language),
        "lang": language.value,
        "session": session,
        "csrf": session.csrf if session else getattr(request.state, "signin_csrf", ""),
        "static": static_url,
        "path": request.url.path,
        "timezone": request.app.state.settings.timezone,
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})
