"""Webhook.url: the URLs we put in TwiML, quoted exactly as urlencode would quote them."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from ivr.calls.state import CallState
from ivr.controller.webhook import Webhook
from ivr.telephony.twiml import Speaker


@pytest.mark.parametrize(
    "query",
    [
        {"flow": "main", "node": "main_menu"},
        {"flow": "cards", "node": "lost-card.2", "silence": 1},
        {"node": "菜单", "note": "a b&c=d"},
        {"empty": ""},
    ],
)
def test_urls_carry_the_query_and_the_step_number(query: dict[str, Any]) -> None:
    state = CallState(call_sid="CA" + "1" * 32, caller="+14155550100", seq=7)
    webhook = Webhook(
        state=state, base_url="https://bank.example", fingerprint="f", speaker=cast(Speaker, None)
    )
    url = webhook.url("/twilio/gather", **query)
    expected = {**query, "s": 7}
    assert url == f"https://bank.example/twilio/gather?{urlencode(expected)}"
    parsed = urlsplit(url)
    assert dict(parse_qsl(parsed.query, keep_blank_values=True)) == {
        k: str(v) for k, v in expected.items()
    }
