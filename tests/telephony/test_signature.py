"""The URL a webhook's signature covers, rebuilt from the ASGI scope as Starlette would."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from ivr.telephony.signature import carrier_urls, public_base_of, public_url_of


def _scope(path: str, query: bytes, host: bytes = b"internal:8080") -> dict[str, object]:
    return {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", host)],
        "server": ("10.0.0.5", 8080),
    }


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/twilio/voice", b""),
        ("/twilio/gather", b"flow=main&node=main_menu&s=3"),
        ("/twilio/gather", b"node=%E4%B8%BB&x=a+b"),
        ("/twilio/odd?#\\path", b"s=1"),
    ],
)
@pytest.mark.parametrize("public", ["https://bank.example", ""])
def test_the_fast_urls_match_starlettes(path: str, query: bytes, public: str) -> None:
    scope = _scope(path, query)
    request = Request(scope)
    assert carrier_urls(scope, public) == (
        public_url_of(request, public),
        public_base_of(request, public),
    )


def test_without_a_public_url_the_urls_are_how_we_were_reached() -> None:
    url, base = carrier_urls(_scope("/twilio/voice", b"s=1", host=b"localhost:9000"), "")
    assert (url, base) == ("http://localhost:9000/twilio/voice?s=1", "http://localhost:9000")
