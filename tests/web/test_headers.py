"""Security headers: a CSP without inline script or style, on pages and static files."""

from __future__ import annotations

from tests.web.conftest import Web


async def test_every_response_carries_a_strict_content_security_policy(web: Web) -> None:
    for path in ("/signin", "/static/css/base.css", "/test/agent-page"):
        answer = await web.client.get(path)
        policy = answer.headers["content-security-policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["x-frame-options"] == "DENY"


async def test_pages_have_no_inline_script_or_style(web: Web) -> None:
    page = (await web.client.get("/signin")).text
    assert "<style" not in page and " style=" not in page
    assert "<script>" not in page  # every script is a file: <script src=...>
