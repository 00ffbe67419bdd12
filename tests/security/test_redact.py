"""Redaction in English and Chinese, and what must be left alone."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.security.redact import (
    CARD_MASK,
    ID_MASK,
    SECRET_MASK,
    RedactingFilter,
    event_data_at_rest,
    luhn_valid,
    mask_digits,
    needs_redaction,
    redact,
    redact_data,
    resident_id_valid,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my card is 4111 1111 1111 1111 please", f"my card is {CARD_MASK} please"),
        ("card 4111-1111-1111-1111, one more thing", f"card {CARD_MASK}, one more thing"),
        ("number 5500005555555559.", f"number {CARD_MASK}."),
        ("amex 3782 822463 10005 thanks", f"amex {CARD_MASK} thanks"),
        (
            "it's four one one one one one one one one one one one one one one one",
            f"it's {CARD_MASK}",
        ),
        ("Four One One One, one one one one, one one one one, one one one one", None),
        ("我的卡号是四" + "一" * 15, f"我的卡号是{CARD_MASK}"),
        ("卡号四" + "一" * 15 + "一", None),
        ("卡号 4111 1111 1111 1111，谢谢", f"卡号 {CARD_MASK}，谢谢"),
        ("卡号是四幺幺幺幺幺幺幺幺幺幺幺幺幺幺幺", f"卡号是{CARD_MASK}"),
    ],
)
def test_card_numbers_are_redacted(text: str, expected: str | None) -> None:
    out = redact(text)
    if expected is not None:
        assert out == expected
    assert CARD_MASK in out
    assert "1111 1111" not in out


@pytest.mark.parametrize(
    "text",
    [
        "身份证号11010519491231002X",
        "身份证号码是 110105 19491231 002x 谢谢",
        "my ID is 11010519491231002X",
    ],
)
def test_resident_id_numbers_are_redacted(text: str) -> None:
    out = redact(text)
    assert ID_MASK in out
    assert "19491231" not in out


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("my cvv is 123", "123"),
        ("the security code: 987", "987"),
        ("PIN number is one two three four", "one two three four"),
        ("my pin 4826.", "4826"),
        ("密码是一二三四五六", "一二三四五六"),
        ("安全码：123", "123"),
        ("验证码 4 5 6", "4 5 6"),
    ],
)
def test_cvv_and_pin_after_cue_words_are_redacted(text: str, secret: str) -> None:
    out = redact(text)
    assert SECRET_MASK in out
    assert secret not in out


@pytest.mark.parametrize(
    "text",
    [
        "I paid $1,234.56 on 2024-03-15",
        "call me at +1 415 555 0123 or 415-555-0123",
        "+8613812345678901",
        "转账5000元，2024年3月15日，电话13812345678",
        "account 1234567890123",  # 13 digits failing Luhn
        "4111 1111 1111 1112",  # 16 digits failing Luhn
        "11010519491231002Y",  # wrong check character
        "110105194912310021",
        "someone gave me two tickets for one o'clock",
        "一共两千五百元，一月一日到期",
        "my pin is lost",
        "I lost my card yesterday at 3 pm",
    ],
)
def test_amounts_dates_phone_numbers_and_plain_words_stay(text: str) -> None:
    assert redact(text) == text


def test_checks() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid("41111x")
    assert resident_id_valid("11010519491231002X")
    assert not resident_id_valid("110105194912310021")


def test_secure_digits_are_masked() -> None:
    assert mask_digits("4321#") == "****#"


def test_redact_data_keeps_identifiers_and_redacts_text() -> None:
    data = {
        "caller": "+14111111111111111",
        "speech": "card 4111111111111111",
        "nested": [{"text": "cvv 123"}],
        "confidence": 0.9,
    }
    out = redact_data(data)
    assert out["caller"] == data["caller"]
    assert out["speech"] == f"card {CARD_MASK}"
    assert out["nested"][0]["text"] == f"cvv {SECRET_MASK}"
    assert out["confidence"] == 0.9


def test_log_records_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("ivr.test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="ivr.test.redact"):
        logger.info("caller said %s", "my card is 4111 1111 1111 1111")
    assert "4111" not in caplog.text
    assert CARD_MASK in caplog.text


_WORDS = ["a", "b", " ", "*", "#", "+", "-", ".", ",", "one", " oh ", "pin is ", "四", "幺", "0"]
_TEXT = st.lists(st.sampled_from([*_WORDS, "1", "9", "１"]), max_size=24).map("".join)
_DATA = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["node", "speech", "digits", "text", "id"]), inner)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(
    event_type=st.sampled_from(["menu.input", "nlu.read"]),
    data=st.dictionaries(st.sampled_from(["node", "speech", "digits", "secure", "cues"]), _DATA),
)
def test_data_said_to_need_no_redaction_is_what_redaction_returns(
    event_type: str, data: dict[str, Any]
) -> None:
    if not needs_redaction(event_type, data):
        assert event_data_at_rest(event_type, data) == data


def test_only_secure_input_and_digits_in_free_text_need_redaction() -> None:
    assert not needs_redaction("menu.input", {"node": "main_menu", "digits": "*", "speech": ""})
    assert not needs_redaction("menu.entered", {"node": "n1", "flow": "main"})  # identifiers
    assert needs_redaction("menu.input", {"node": "pin", "digits": "*", "secure": True})
    assert needs_redaction("nlu.read", {"text": "card four one one one"})
    assert needs_redaction("nlu.read", {"cues": [{"detail": "1234"}]})
