"""Words that match no option of the menu are still understood (the shipped flows, pure step).

The flow's clock is the test's: Monday 2026-11-30 10:00 in Shanghai is open,
22:35 is closed. No server, no Redis.
"""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.calls.state import CallState
from ivr.config import PROJECT_DIR
from ivr.flows import engine
from ivr.flows.catalog import FlowCatalog
from ivr.flows.model import Flow
from ivr.flows.reach import open_route
from ivr.ids import Emotion, Language, Topic
from ivr.nlu.models import Reading

OPEN = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
CLOSED = dt.datetime(2026, 11, 30, 14, 35, tzinfo=dt.UTC)  # 22:35 in Shanghai


@pytest.fixture(scope="module")
def catalog() -> FlowCatalog:
    return FlowCatalog.load(flows_dir=PROJECT_DIR / "flows", prompts_dir=PROJECT_DIR / "prompts")


@pytest.fixture(scope="module")
def flows(catalog: FlowCatalog) -> dict[str, Flow]:
    return dict(catalog.flows)


def _words(
    text: str, topic: Topic, *, emotion: Emotion = Emotion.NEUTRAL, intensity: float = 0.0
) -> engine.Speech:
    reading = Reading(
        text=text,
        language="zh-CN",
        topic=topic,
        topic_confidence=0.84,
        emotion=emotion,
        emotion_intensity=intensity,
    )
    return engine.Speech(text, 0.9, reading, 0.5)


def _call(flows: dict[str, Flow], language: str, now: dt.datetime) -> CallState:
    """A call that chose its language and stands at the first menu the clock leads to."""
    state = CallState(call_sid="CA" + "7" * 32, caller="+8613800000000")
    engine.start(flows, state, now=now)
    digit = "2" if language == "zh-CN" else "1"
    engine.answer(flows, state, engine.KeyPresses(digit), now=now)
    assert state.language is Language(language)
    return state


def _said(turn: engine.Turn) -> list[str]:
    return [a.prompt for a in turn.actions if isinstance(a, engine.Say)]


def _gathered(turn: engine.Turn) -> str | None:
    last = turn.last
    return last.node if isinstance(last, engine.Gather) else None


def test_a_route_is_open_when_the_clock_reaches_it(flows: dict[str, Flow]) -> None:
    by_day = open_route(flows, "main", Topic.LOANS, now=OPEN)
    assert by_day is not None and (by_day.flow, by_day.node) == ("main", "loans")
    assert open_route(flows, "main", Topic.LOANS, now=CLOSED) is None
    card_line = open_route(flows, "main", Topic.LOST_STOLEN_CARD, now=CLOSED)
    assert card_line is not None and card_line.node == "lost_card"


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_by_day_words_for_another_menu_go_to_their_route(
    flows: dict[str, Flow], language: str
) -> None:
    state = _call(flows, language, OPEN)
    engine.answer(flows, state, engine.KeyPresses("2"), now=OPEN)  # the cards menu
    assert (state.flow, state.node) == ("cards", "cards_menu")
    turn = engine.answer(
        flows, state, _words("my mortgage payment went out twice", Topic.LOANS), now=OPEN
    )
    assert turn.actions[-2:] == [engine.Say("loans_intro"), engine.Route(topic=Topic.LOANS)]
    assert state.topic is Topic.LOANS
    heard = [d for kind, d in turn.events if kind == "menu.input"]
    assert heard[0]["topic"] is Topic.LOANS and heard[0]["emotion"] is Emotion.NEUTRAL


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_after_hours_unserved_words_are_acknowledged_then_offered(
    flows: dict[str, Flow], language: str
) -> None:
    state = _call(flows, language, CLOSED)
    assert state.node == "after_hours"
    turn = engine.answer(
        flows,
        state,
        _words("我上个月的房贷还款被扣了两次", Topic.LOANS, emotion=Emotion.SAD, intensity=0.84),
        now=CLOSED,
    )
    # Calming first for a sad caller, then what we understood, then what we can do.
    assert _said(turn)[:2] == ["calming", "understood_loans"]
    assert _gathered(turn) == "offer"
    assert state.topic is Topic.LOANS and state.emotion is Emotion.SAD
    # Pressing 1 books the earliest callback with the topic understood.
    booked = engine.answer(flows, state, engine.KeyPresses("1"), now=CLOSED)
    assert engine.BookCallback(Topic.LOANS) in booked.actions


def test_a_calm_caller_hears_no_calming_prompt(flows: dict[str, Flow]) -> None:
    state = _call(flows, "en-US", CLOSED)
    turn = engine.answer(
        flows, state, _words("question about my balance", Topic.ACCOUNT_INQUIRY), now=CLOSED
    )
    assert _said(turn)[0] == "understood_account_inquiry"
    assert "calming" not in _said(turn)


def test_after_hours_the_card_line_still_takes_a_lost_card(flows: dict[str, Flow]) -> None:
    state = _call(flows, "zh-CN", CLOSED)
    engine.answer(flows, state, _words("贷款", Topic.LOANS), now=CLOSED)
    turn = engine.answer(flows, state, _words("我的卡丢了", Topic.LOST_STOLEN_CARD), now=CLOSED)
    assert turn.actions[-1] == engine.Route(topic=Topic.LOST_STOLEN_CARD)


def test_the_offer_acknowledges_again_then_books_a_callback(flows: dict[str, Flow]) -> None:
    state = _call(flows, "en-US", CLOSED)
    engine.answer(flows, state, _words("my loan", Topic.LOANS), now=CLOSED)
    again = engine.answer(flows, state, _words("it is my loan", Topic.LOANS), now=CLOSED)
    assert _said(again)[0] == "understood_loans" and _gathered(again) == "offer"
    last = engine.answer(flows, state, _words("loan", Topic.LOANS), now=CLOSED)
    assert engine.BookCallback(Topic.LOANS) in last.actions  # the offer's last try: a callback
