"""Try it: the pure engine stepped over a draft, answering with what the caller hears."""

from __future__ import annotations

import datetime as dt

from ivr.config import PROJECT_DIR
from ivr.flows import trial
from ivr.flows.catalog import FlowCatalog
from ivr.ids import Emotion, Language, Topic
from ivr.nlu.models import Reading

NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)
CATALOG = FlowCatalog.load(flows_dir=PROJECT_DIR / "flows", prompts_dir=PROJECT_DIR / "prompts")


def never_sure(_text: str, _language: Language) -> Reading | None:
    return None


def texts(turn: trial.TrialTurn) -> list[str]:
    return [h.text for h in turn.heard]


def test_a_call_through_the_draft_hears_the_prompts_and_reaches_an_agent() -> None:
    flows = trial.with_hours(CATALOG.flows, "open")
    prompts = CATALOG.prompts
    first = trial.begin(flows, prompts, flow="main", language=Language.EN_US, now=NOW)
    assert first.waiting == "keys" and first.node == "language"
    # The language choice is played in every language.
    assert prompts.text("language_choice", Language.ZH_CN) in texts(first)
    english = trial.step(
        flows,
        prompts,
        first.state,
        trial.TrialInput(keys="1"),
        read=never_sure,
        min_confidence=0.5,
        now=NOW,
    )
    assert english.node == "main_menu" and english.waiting == "keys or speech"
    assert texts(english) == [prompts.text("main_menu", Language.EN_US)]
    loans = trial.step(
        flows,
        prompts,
        english.state,
        trial.TrialInput(keys="5"),
        read=never_sure,
        min_confidence=0.5,
        now=NOW,
    )
    assert loans.waiting == "agent"
    assert prompts.text("loans_intro", Language.EN_US) in texts(loans)
    assert texts(loans)[-1] == "(to an agent: topic loans)"


def test_words_a_reader_cannot_place_are_asked_again_and_closed_hours_differ() -> None:
    closed = trial.with_hours(CATALOG.flows, "closed")
    first = trial.begin(closed, CATALOG.prompts, flow="main", language=Language.ZH_CN, now=NOW)
    after = trial.step(
        closed,
        CATALOG.prompts,
        first.state,
        trial.TrialInput(keys="2"),
        read=never_sure,
        min_confidence=0.5,
        now=NOW,
    )
    assert after.node == "after_hours" and after.state.language == Language.ZH_CN
    again = trial.step(
        closed,
        CATALOG.prompts,
        after.state,
        trial.TrialInput(say="嗯"),
        read=never_sure,
        min_confidence=0.5,
        now=NOW,
    )
    assert again.node == "after_hours"
    assert texts(again)[0] == CATALOG.prompts.text("didnt_catch", Language.ZH_CN)


def test_a_described_request_is_read_and_routed_by_its_topic() -> None:
    flows = trial.with_hours(CATALOG.flows, "open")

    def loans_reader(_text: str, _language: Language) -> Reading:
        return Reading(
            text=_text,
            language=_language,
            topic=Topic.LOANS,
            topic_confidence=0.9,
            emotion=Emotion.NEUTRAL,
            emotion_intensity=0.0,
        )

    call = trial.begin(flows, CATALOG.prompts, flow="main", language=Language.EN_US, now=NOW)
    for given in (trial.TrialInput(keys="1"), trial.TrialInput(keys="8")):
        call = trial.step(
            flows,
            CATALOG.prompts,
            call.state,
            given,
            read=loans_reader,
            min_confidence=0.5,
            now=NOW,
        )
    assert call.waiting == "recording"
    routed = trial.step(
        flows,
        CATALOG.prompts,
        call.state,
        trial.TrialInput(say="I want to pay my mortgage off early"),
        read=loans_reader,
        min_confidence=0.5,
        now=NOW,
    )
    assert routed.waiting == "agent" and texts(routed)[-1] == "(to an agent: topic loans)"
