"""`focus`: what the caller is not calling about, and an aside, are set aside."""

from __future__ import annotations

import pytest

from ivr.nlu.focus import focus
from ivr.nlu.text import fold


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        (
            "I'm not calling about fraud or anything, I just need to up my contactless limit",
            "i just need to up my contactless limit",
        ),
        # Speech arrives without commas: the request's first words end the negated part.
        (
            "not my pin I don't need a new pin I need to report my card missing",
            "i need to report my card missing",
        ),
        ("不是要转账 只是想看看昨天那笔存款到账了没", "只是想看看昨天那笔存款到账了没"),
        ("我不是卡丢了，只是要启用新卡", "只是要启用新卡"),
        ("lost my card and also how do I log in", "lost my card"),
        ("我點了一個可疑的link，順便問一下怎麼改密碼", "我点了一个可疑的link"),
    ],
)
def test_sets_aside_the_negated_lead_and_the_aside(said: str, kept: str) -> None:
    assert focus(fold(said)) == kept


@pytest.mark.parametrize(
    "said",
    [
        # "not working" is the problem itself, and "不是我刷的" is the fraud report.
        "the app is not working i need help",
        "不是我刷的 我要申诉",
        # Too little would remain: everything is kept.
        "not a loan, a card",
        "also my balance",
        "",
    ],
)
def test_keeps_what_names_the_topic(said: str) -> None:
    assert focus(fold(said)) == fold(said)
