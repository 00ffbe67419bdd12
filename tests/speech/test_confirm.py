"""Reading doubtful words back to a caller, and reading their answer."""

from __future__ import annotations

import pytest

from ivr.speech.confirm import MAX_CHARACTERS, MAX_WORDS, answer_of, read_back


@pytest.mark.parametrize(
    ("digits", "speech", "answer"),
    [
        ("1", "", "yes"),
        ("2", "", "again"),
        ("3", "", None),
        ("", "Yes.", "yes"),
        ("", "yeah that's right", "yes"),
        ("", "no", "again"),
        ("", "No, that's not right.", "again"),
        ("", "can I say it again", "again"),
        ("", "one", "yes"),
        ("", "Two.", "again"),
        ("", "对", "yes"),
        ("", "是的。", "yes"),
        ("", "没错", "yes"),
        ("", "不对", "again"),
        ("", "不是", "again"),
        ("", "我要重新说", "again"),
        ("", "一", "yes"),
        ("", "二", "again"),
        ("", "I lost my card", None),
        ("", "", None),
        ("", "   ", None),
    ],
)
def test_keys_and_words_mean_yes_or_again(digits: str, speech: str, answer: str | None) -> None:
    assert answer_of(digits, speech) == answer


def test_keys_win_over_words() -> None:
    assert answer_of("2", "yes") == "again"


def test_a_card_number_is_never_read_back() -> None:
    said = read_back("my card 4111 1111 1111 1111 was stolen.", masked="the number you gave")
    assert said == "my card the number you gave was stolen"
    spoken = read_back(
        "card number four one one one one one one one one one one one one one one one",
        masked="the number you gave",
    )
    assert "four one" not in spoken and spoken.endswith("the number you gave")
    zh = read_back("我的卡号是4111111111111111，卡丢了。", masked="您提供的号码")
    assert zh == "我的卡号是您提供的号码，卡丢了"


def test_a_long_description_is_cut_short_as_a_reminder() -> None:
    english = read_back(" ".join(["word"] * (MAX_WORDS + 10)), masked="x")
    assert english.split() == ["word"] * MAX_WORDS + ["…"]
    mandarin = read_back("我" * (MAX_CHARACTERS + 10), masked="x")
    assert mandarin == "我" * MAX_CHARACTERS + "…"
    assert read_back("  I lost   my card!  ", masked="x") == "I lost my card"
