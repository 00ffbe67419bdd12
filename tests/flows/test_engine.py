"""The flow step as plain functions: no server, no Redis."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ivr.calls.state import CallState
from ivr.flows import engine
from ivr.flows.model import Flow
from ivr.ids import Emotion, Language, Topic
from ivr.nlu.models import Reading

# Monday 2026-11-30 10:00 in Shanghai is open; 23:00 is closed.
OPEN = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
CLOSED = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)

MAIN: dict[str, Any] = {
    "name": "main",
    "start": "language",
    "nodes": {
        "language": {
            "type": "language",
            "prompt": "choose_language",
            "options": {"1": "en-US", "2": "zh-CN"},
            "next": "welcome",
        },
        "welcome": {"type": "say", "prompt": "welcome", "next": "hours"},
        "hours": {
            "type": "hours",
            "timezone": "Asia/Shanghai",
            "weekly": {"mon": ["08:00-20:00"]},
            "open": "menu",
            "closed": "after_hours",
        },
        "menu": {
            "type": "menu",
            "prompt": "main_menu",
            "options": {"1": "cards", "2": "balance", "9": "pin"},
            "speech": {"lost_stolen_card": "lost", "loans": "loans"},
            "retries": 2,
        },
        "cards": {"type": "subflow", "flow": "cards", "next": "bye"},
        "lost": {"type": "route", "topic": "lost_stolen_card", "prompt": "connecting"},
        "loans": {"type": "route", "topic": "loans"},
        "balance": {"type": "route"},
        "pin": {
            "type": "menu",
            "prompt": "enter_pin",
            "num_digits": 4,
            "secure": True,
            "next": "bye",
            "store_as": "pin",
        },
        "after_hours": {"type": "callback", "topic": "general", "next": "bye"},
        "bye": {"type": "hangup", "prompt": "goodbye"},
    },
}
CARDS: dict[str, Any] = {
    "name": "cards",
    "start": "cards_menu",
    "nodes": {
        "cards_menu": {"type": "menu", "prompt": "cards_menu", "options": {"1": "done"}},
        "done": {"type": "return", "prompt": "cards_done"},
    },
}
SURVEY: dict[str, Any] = {
    "name": "survey",
    "start": "ask",
    "nodes": {"ask": {"type": "survey", "prompt": "survey_question"}},
}


@pytest.fixture
def flows() -> dict[str, Flow]:
    return {f["name"]: Flow.model_validate(f) for f in (MAIN, CARDS, SURVEY)}


def _state(**kw: Any) -> CallState:
    return CallState(call_sid="CA" + "1" * 32, caller="+8613800000000", **kw)


def _reading(topic: Topic, confidence: float) -> Reading:
    return Reading(
        text="x",
        language="en-US",
        topic=topic,
        topic_confidence=confidence,
        emotion=Emotion.NEUTRAL,
        emotion_intensity=0.0,
    )


def _to_menu(flows: dict[str, Flow], state: CallState, now: dt.datetime = OPEN) -> engine.Turn:
    engine.start(flows, state, now=now)
    return engine.answer(flows, state, engine.KeyPresses("1"), now=now)


def test_start_asks_for_the_language_in_every_language(flows: dict[str, Flow]) -> None:
    state = _state()
    turn = engine.start(flows, state, now=OPEN)
    assert turn.actions == [
        engine.Gather(
            "main",
            "language",
            "dtmf",
            1,
            5,
            (),
            (engine.Say("choose_language", all_languages=True),),
        )
    ]
    assert state.node == "language"


def test_choosing_mandarin_sets_the_language_and_walks_to_the_menu(flows: dict[str, Flow]) -> None:
    state = _state()
    engine.start(flows, state, now=OPEN)
    turn = engine.answer(flows, state, engine.KeyPresses("2"), now=OPEN)
    assert state.language is Language.ZH_CN
    assert [type(a) for a in turn.actions] == [engine.Say, engine.Gather]
    assert turn.actions[0] == engine.Say("welcome")
    assert state.node == "menu"
    assert ("language.chosen", {"language": "zh-CN"}) in turn.events


def test_after_hours_books_a_callback_then_resumes_to_goodbye(flows: dict[str, Flow]) -> None:
    state = _state()
    turn = _to_menu(flows, state, CLOSED)
    assert isinstance(turn.last, engine.BookCallback)
    assert state.node == "bye"
    rest = engine.resume(flows, state, now=CLOSED)
    assert rest.actions == [engine.Say("goodbye"), engine.Hangup()]


def test_a_digit_picks_its_option_and_a_route_ends_the_turn(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    turn = engine.answer(flows, state, engine.KeyPresses("2"), now=OPEN)
    assert turn.actions == [engine.Route(topic=Topic.GENERAL)]
    assert state.path[-1] == "main/balance"


def test_star_repeats_the_menu_and_zero_asks_for_an_agent(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    again = engine.answer(flows, state, engine.KeyPresses("*"), now=OPEN)
    assert isinstance(again.last, engine.Gather) and again.last.node == "menu"
    assert state.attempts == 0
    agent = engine.answer(flows, state, engine.KeyPresses("0"), now=OPEN)
    assert agent.actions == [engine.Route(topic=Topic.GENERAL)]
    assert state.zero_presses == 1


def test_no_match_then_no_input_then_an_agent_after_the_retry_limit(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    first = engine.answer(flows, state, engine.KeyPresses("7"), now=OPEN)
    assert first.actions[0] == engine.Say("no_match")
    assert isinstance(first.actions[1], engine.Gather)
    second = engine.answer(flows, state, engine.Silence(), now=OPEN)
    assert second.actions == [engine.Route(topic=Topic.GENERAL)]
    assert (state.no_match_count, state.no_input_count) == (1, 1)


def test_speech_goes_where_its_topic_leads(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    speech = engine.Speech("I lost my card", 0.9, _reading(Topic.LOST_STOLEN_CARD, 0.93))
    turn = engine.answer(flows, state, speech, now=OPEN)
    assert turn.actions == [engine.Say("connecting"), engine.Route(topic=Topic.LOST_STOLEN_CARD)]
    assert state.topic is Topic.LOST_STOLEN_CARD


def test_unclear_speech_asks_again_instead_of_guessing(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    mumbled = engine.answer(
        flows, state, engine.Speech("mm", 0.1, _reading(Topic.LOANS, 0.9)), now=OPEN
    )
    assert mumbled.actions[0] == engine.Say("didnt_catch")
    vague = engine.answer(
        flows, state, engine.Speech("well", 0.9, _reading(Topic.LOANS, 0.2)), now=OPEN
    )
    assert vague.actions == [engine.Route(topic=Topic.GENERAL)]  # second failed try of two
    assert state.topic is None


def test_unclear_topic_gets_a_clarifying_question(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    turn = engine.answer(
        flows, state, engine.Speech("hmm", 0.9, _reading(Topic.LOANS, 0.2)), now=OPEN
    )
    assert turn.actions[0] == engine.Say("clarify_topic")


def test_a_subflow_returns_to_the_calling_flow(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    inside = engine.answer(flows, state, engine.KeyPresses("1"), now=OPEN)
    assert state.flow == "cards" and isinstance(inside.last, engine.Gather)
    back = engine.answer(flows, state, engine.KeyPresses("1"), now=OPEN)
    assert back.actions == [engine.Say("cards_done"), engine.Say("goodbye"), engine.Hangup()]
    assert state.flow == "main" and not state.stack


def test_secure_digits_never_reach_the_event_log(flows: dict[str, Flow]) -> None:
    state = _state()
    _to_menu(flows, state)
    engine.answer(flows, state, engine.KeyPresses("9"), now=OPEN)
    turn = engine.answer(flows, state, engine.KeyPresses("4321"), now=OPEN)
    logged = [data for kind, data in turn.events if kind == "menu.input"]
    assert logged == [{"node": "pin", "digits": "••••", "secure": True}]
    assert "4321" not in repr(turn.events) and state.values["pin"] == "••••"


def test_survey_records_the_score_and_hangs_up(flows: dict[str, Flow]) -> None:
    state = _state(flow="survey")
    engine.start(flows, state, now=OPEN)
    turn = engine.answer(flows, state, engine.KeyPresses("5"), now=OPEN)
    assert ("survey.answered", {"csat": 5}) in turn.events
    assert turn.actions == [engine.Say("survey_thanks"), engine.Hangup()]


def test_a_survey_left_unanswered_still_says_goodbye(flows: dict[str, Flow]) -> None:
    state = _state(flow="survey")
    engine.start(flows, state, now=OPEN)
    engine.answer(flows, state, engine.Silence(), now=OPEN)
    turn = engine.answer(flows, state, engine.KeyPresses("9"), now=OPEN)
    assert turn.actions == [engine.Say("goodbye"), engine.Hangup()]


def test_a_loop_with_no_input_ends_at_an_agent_not_forever() -> None:
    looping = Flow.model_validate(
        {
            "name": "main",
            "start": "a",
            "nodes": {
                "a": {"type": "say", "prompt": "x", "next": "b"},
                "b": {"type": "say", "prompt": "y", "next": "a"},
            },
        }
    )
    turn = engine.start({"main": looping}, _state(), now=OPEN)
    assert turn.last == engine.Route(topic=Topic.GENERAL)
    assert any(kind == "error" for kind, _ in turn.events)
