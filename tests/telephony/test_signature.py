"""The URL a webhook's signature covers, rebuilt from the ASGI scope as Starlette would."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from twilio.request_validator import RequestValidator

from ivr.telephony.signature import (
    InvalidSignature,
    carrier_urls,
    public_base_of,
    public_url_of,
    signature_of,
    verified_params,
)


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


@pytest.mark.parametrize(
    "form",
    [
        {},
        {"CallSid": "CA" + "1" * 32, "Digits": "*", "From": "+14155550100", "To": ""},
        {"SpeechResult": "我的卡丢了 & the card, 50%+", "Confidence": "0.91", "b": "a", "a": "b"},
    ],
)
def test_our_signature_is_twilios(form: dict[str, str]) -> None:
    url = "https://bank.example/twilio/gather?flow=main&node=main_menu&s=3"
    token = "test-auth-token-0123456789abcdef"
    assert signature_of(token, url, form) == RequestValidator(token).compute_signature(url, form)


def test_a_signature_is_checked_against_twilios_known_value() -> None:
    # Twilio's own documented example (https://www.twilio.com/docs/usage/security).
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    form = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675310",
        "Digits": "1234",
        "From": "+14158675310",
        "To": "+18005551212",
    }
    signature = "GvWf1cFY/Q7PnoempGyD5oXAezc="
    assert signature_of("12345", url, form) == signature
    assert verified_params(url, form, signature, "12345") == form
    with pytest.raises(InvalidSignature):
        verified_params(url, form, "x" + signature, "12345")
    with pytest.raises(InvalidSignature):
        verified_params(url, form, "é" + signature[1:], "12345")
