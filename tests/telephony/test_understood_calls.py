"""Whole calls: nothing a caller says is lost, and every answer is true.

The shipped flows with their real business hours; the service's clock is set by
each test (Monday 7 December 2026, 10:00 or 22:35 in Shanghai), not read from
the machine. Real understanding, routing, Redis and SQLite; the carrier simulated.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest

from ivr.config import PROJECT_DIR, Settings
from ivr.simulator.record import CallRecord
from ivr.simulator.script import Press, Silence, Speak
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of

DAY = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # Monday 10:00 in Shanghai
NIGHT = dt.datetime(2026, 12, 7, 14, 35, tzinfo=dt.UTC)  # Monday 22:35 in Shanghai
LANGUAGE_KEY = {"en-US": "1", "zh-CN": "2"}
MORTGAGE_TWICE = {
    "en-US": "my mortgage payment was taken twice and I am really worried",
    "zh-CN": "我上个月的房贷还款被扣了两次，我现在一分钱都没有了，真的很难过",
}
UPSET = {"en-US": "anxious", "zh-CN": "sad"}
LOANS_INTRO = {"en-US": "Our lending team will help you", "zh-CN": "贷款服务团队将为您办理"}
CALMING = {"en-US": "We are sorry this has happened", "zh-CN": "发生这样的事，我们很抱歉"}
UNDERSTOOD_LOANS = {
    "en-US": "We understand this is about your loan or mortgage",
    "zh-CN": "我们了解到，您的来电是关于贷款或房贷还款",
}
OFFER = {"en-US": "24-hour card line is open now", "zh-CN": "24小时银行卡服务热线"}
BOOKED = {
    "en-US": "Your callback is booked for Tuesday, December 8, at 8:00",
    "zh-CN": "12月8日8点",
}
SAVED = {"en-US": "saved", "zh-CN": "已保存"}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A service run for the simulator: its clock may be set and moved."""
    settings.simulated_clock = True
    return settings


@pytest.fixture
def config_dir(config_dir: Path) -> Path:
    """The shipped flow with its real opening hours: the clock decides."""
    shutil.copy(PROJECT_DIR / "flows" / "main.yaml", config_dir / "flows" / "main.yaml")
    return config_dir


async def _call(
    service: Service, when: dt.datetime, steps: list[Any], *, language: str, caller: str
) -> CallRecord:
    await service.app.state.clock.set_to(when)
    record = await service.carrier().place_call(
        [Press(LANGUAGE_KEY[language]), *steps], language=language, caller=caller
    )
    assert record.errors == []
    return record


def _words_of(ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [u for u in ticket["utterances"] if u["source"] == "speech"]


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
async def test_by_day_words_at_the_cards_menu_reach_the_loans_team(
    service: Service, language: str
) -> None:
    await service.add_agent("lena", skills={"loans": 5, "general": 3}, traits=["de_escalation"])
    words = MORTGAGE_TWICE[language] + " 4111 1111 1111 1111"  # a card number, said aloud
    record = await _call(
        service,
        DAY,
        [Press("2"), Speak(words), Press("4")],
        language=language,
        caller="+8613800000101",
    )
    assert LOANS_INTRO[language] in record.transcript, record.transcript
    dialled = "".join(r.body for r in record.requests)
    assert "<Identity>lena</Identity>" in dialled, record.transcript
    ticket = await ticket_of(service, record, csat=4)
    assert ticket["topic"] == "loans"
    [said] = _words_of(ticket)
    assert said["topic"] == "loans" and said["emotion"] == UPSET[language]
    assert said["node"] == "cards_menu"
    assert "1111" not in said["text"] and "[card redacted]" in said["text"]  # redacted first


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
async def test_after_hours_words_are_acknowledged_and_the_callback_keeps_them(
    service: Service, language: str
) -> None:
    record = await _call(
        service,
        NIGHT,
        [Speak(MORTGAGE_TWICE[language]), Press("1")],
        language=language,
        caller="+8613800000102",
    )
    text = record.transcript
    # Calming first, then what we understood, then what we can do; the time once booked.
    order = [CALMING[language], UNDERSTOOD_LOANS[language], OFFER[language], BOOKED[language]]
    places = [text.find(part) for part in order]
    assert -1 not in places and places == sorted(places), text
    ticket = await ticket_of(service, record, outcome="callback")
    assert (ticket["topic"], ticket["emotion"]) == ("loans", UPSET[language])
    [said] = _words_of(ticket)
    assert said["text"] == MORTGAGE_TWICE[language] and said["topic"] == "loans"
    async with service.api() as api:
        listed = (await api.get("/api/callbacks")).json()
    [callback] = [c for c in listed if c["ticket_id"] == ticket["id"]]
    assert (callback["topic"], callback["emotion"]) == ("loans", UPSET[language])
    assert [u["text"] for u in callback["utterances"]] == [MORTGAGE_TWICE[language]]


async def test_after_hours_an_upset_callers_callback_comes_before_a_calm_one(
    service: Service,
) -> None:
    calm = await _call(
        service,
        NIGHT,
        [Speak("I have a question about my account balance"), Press("1")],
        language="en-US",
        caller="+8613800000103",
    )
    upset = await _call(
        service,
        NIGHT,
        [Speak(MORTGAGE_TWICE["en-US"]), Press("1")],
        language="en-US",
        caller="+8613800000104",
    )
    assert "We understand this is about your account" in calm.transcript
    assert CALMING["en-US"] not in calm.transcript
    tickets = [await ticket_of(service, r, outcome="callback") for r in (calm, upset)]
    async with service.api() as api:
        listed = (await api.get("/api/callbacks")).json()
    mine = [c for c in listed if c["ticket_id"] in {t["id"] for t in tickets}]
    assert mine[0]["due_at"] == mine[1]["due_at"]  # both at the next opening
    assert [c["ticket_id"] for c in mine] == [tickets[1]["id"], tickets[0]["id"]]


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
async def test_an_empty_message_is_never_saved_the_caller_is_asked_again_then_offered_a_callback(
    service: Service, language: str
) -> None:
    steps = [Speak(MORTGAGE_TWICE[language]), Press("2"), Silence(), Silence(), Press("1")]
    record = await _call(service, NIGHT, steps, language=language, caller="+8613800000105")
    text = record.transcript
    assert SAVED[language] not in text
    again = "We would like to hear you" if language == "en-US" else "我们希望听到您的声音"
    assert text.count(again) == 1
    assert BOOKED[language] in text
    ticket = await ticket_of(service, record, outcome="callback")
    assert _words_of(ticket)[0]["topic"] == "loans"
