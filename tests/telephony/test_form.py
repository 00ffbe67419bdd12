"""The front door's form parser reads what the standard library's parse_qsl reads."""

from __future__ import annotations

import random
from urllib.parse import parse_qsl, urlencode

import pytest

from ivr.telephony.front_door import parse_form

TWILIO_FORM = urlencode(
    {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": "CA" + "1" * 32,
        "From": "+14155550100",
        "To": "+18005550100",
        "CallStatus": "in-progress",
        "Digits": "1",
        "SpeechResult": "我的卡丢了, but it's 50% urgent & more",
        "Confidence": "0.87",
        "Caller Name": "",
    }
)


@pytest.mark.parametrize(
    "text",
    [
        TWILIO_FORM,
        "",
        "&&",
        "a",
        "a=",
        "=b",
        "a=1&a=2",
        "a+b=c+d",
        "x=%E4%B8%AD%E6%96%87",
        "bad=%ZZ%E4%B8",  # broken escapes and a cut UTF-8 sequence
        "k=%ff%fe",
        "semi=a;b",
    ],
)
def test_it_reads_what_parse_qsl_reads(text: str) -> None:
    assert parse_form(text) == dict(parse_qsl(text, keep_blank_values=True, errors="replace"))


def test_random_forms_read_alike() -> None:
    rng = random.Random(7)
    alphabet = "ab=&%+2Fe4E8zZ中 ;"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 24)))
        expected = dict(parse_qsl(text, keep_blank_values=True, errors="replace"))
        assert parse_form(text) == expected, text
