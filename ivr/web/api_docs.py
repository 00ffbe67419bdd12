"""`/docs` and `/redoc` from our own files: they work on a closed network, under our CSP.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and start Swagger UI
with an inline script; these load the vendored copies (ivr/web/static/vendor)
and start Swagger UI from `js/swagger-start.js`. Both libraries set styles
from script, so these two pages (only) allow inline styles; scripts stay ours.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ivr.web.headers import CONTENT_SECURITY_POLICY
from ivr.web.templating import render

router = APIRouter(include_in_schema=False)

# The pages' policy with one change: style-src also allows the styles the libraries set.
DOCS_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def _page(request: Request, template: str) -> HTMLResponse:
    page = render(request, template, {"openapi_url": request.app.openapi_url or ""})
    page.headers["content-security-policy"] = DOCS_POLICY
    return page


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    """The interactive API documentation (Swagger UI)."""
    return _page(request, "swagger.html")


@router.get("/redoc")
async def redoc(request: Request) -> HTMLResponse:
    """The API reference (ReDoc)."""
    return _page(request, "redoc.html")
