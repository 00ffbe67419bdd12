"""Every branch of the shipped flow, in both languages, through the real service."""

from __future__ import annotations

import pytest

from ivr.simulator.script import Hangup, Press, ScriptStep, Silence, Speak
from tests.telephony.conftest import TOPICS, Service
from tests.telephony.test_calls import ticket_of

LANGUAGES = {"en-US": "1", "zh-CN": "2"}

# (name, keys after the language choice, the topic the caller must be routed with)
ROUTED: list[tuple[str, list[str], str]] = [
    ("lost card fast path", ["1"], "lost_stolen_card"),
    ("cards: lost card", ["2", "1"], "lost_stolen_card"),
    ("cards: unrecognised payment", ["2", "2"], "fraud_dispute"),
    ("cards: activation, then an agent", ["2", "3", "1"], "card_services"),
    ("cards: other card services", ["2", "5"], "card_services"),
    ("cards: PIN, back to the main menu, accounts", ["2", "4", "9", "3"], "account_inquiry"),
    ("cards: back to the main menu, loans", ["2", "9", "5"], "loans"),
    ("accounts", ["3"], "account_inquiry"),
    ("transfers and payments", ["4"], "payments_transfers"),
    ("loans", ["5"], "loans"),
    ("online banking", ["6"], "digital_banking"),
    ("complaints", ["7"], "complaint"),
    ("an agent", ["0"], "general"),
]


async def _everyone(service: Service) -> None:
    await service.add_agent("all", skills={t: 5 for t in TOPICS}, traits=["de_escalation"])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("name", "keys", "topic"), ROUTED, ids=[r[0] for r in ROUTED])
async def test_each_menu_branch_reaches_an_agent_with_its_topic(
    service: Service, language: str, name: str, keys: list[str], topic: str
) -> None:
    await _everyone(service)
    steps: list[ScriptStep] = [Press(LANGUAGES[language]), *(Press(k) for k in keys), Press("5")]
    record = await service.carrier().place_call(steps, language=language)
    assert record.errors == [], name
    assert "<Identity>all</Identity>" in "".join(r.body for r in record.requests), record.transcript
    voices = {h.voice for h in record.heard if h.kind == "say"}
    expected = "Polly.Zhiyu" if language == "zh-CN" else "Polly.Joanna"
    assert expected in voices
    ticket = await ticket_of(service, record, csat=5)
    assert (ticket["topic"], ticket["language"]) == (topic, language)


SPOKEN = {
    "en-US": [
        ("I think someone stole my card", "lost_stolen_card"),
        ("I need to pay back my mortgage early", "loans"),
        ("I cannot log in to the mobile app", "digital_banking"),
    ],
    "zh-CN": [
        ("我的银行卡被偷了", "lost_stolen_card"),
        ("我想咨询房贷提前还款", "loans"),
        ("手机银行登录不了", "digital_banking"),
    ],
}


@pytest.mark.parametrize("language", LANGUAGES)
async def test_saying_it_in_a_few_words_at_the_main_menu_routes_by_topic(
    service: Service, language: str
) -> None:
    await _everyone(service)
    for words, topic in SPOKEN[language]:
        record = await service.carrier().place_call(
            [Press(LANGUAGES[language]), Speak(words), Press("4")], language=language
        )
        assert record.errors == []
        ticket = await ticket_of(service, record, csat=4)
        assert ticket["topic"] == topic, words
        async with service.api() as api:  # the agent skips wrap-up for the next caller
            await api.put("/api/agents/all/status", json={"status": "available"})


@pytest.mark.parametrize("language", LANGUAGES)
async def test_self_service_information_then_goodbye(service: Service, language: str) -> None:
    record = await service.carrier().place_call(
        [Press(LANGUAGES[language]), Press("2"), Press("3"), Hangup()], language=language
    )
    assert record.errors == []
    assert len(record.said) >= 4
    ticket = await ticket_of(service, record, ended=True)
    assert ticket["outcome"] == "self_service"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_a_lost_card_still_reaches_the_card_team(
    service: Service, language: str
) -> None:
    await _everyone(service)
    record = await service.carrier().place_call(
        [Press(LANGUAGES[language]), Press("1"), Press("5")], language=language
    )
    assert "<Identity>all</Identity>" in "".join(r.body for r in record.requests)
    ticket = await ticket_of(service, record, csat=5)
    assert ticket["topic"] == "lost_stolen_card"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_a_caller_can_leave_a_voicemail(service: Service, language: str) -> None:
    record = await service.carrier().place_call(
        [Press(LANGUAGES[language]), Press("3"), Speak("Please call me about my statement")],
        language=language,
    )
    assert record.errors == []
    assert record.requests_to("/twilio/record")
    ticket = await ticket_of(service, record, outcome="voicemail")
    kinds = [e["type"] for e in ticket["events"]]
    assert "voicemail.left" in kinds
    # "Our team will call you back on the next business day": and so it is booked.
    assert "callback.requested" in kinds
    assert ticket["callback_at"] is not None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_silence_books_a_callback_for_the_next_opening(
    service: Service, language: str
) -> None:
    record = await service.carrier().place_call(
        [Press(LANGUAGES[language]), Silence(), Silence()], language=language
    )
    assert record.errors == []
    ticket = await ticket_of(service, record, outcome="callback")
    # The test's hours are always closed: the booking falls back to the policy's default,
    # and the caller hears it in the bank's time zone (Asia/Shanghai), with a time.
    booked = [t for t in record.said if "callback is booked" in t or "已为您预约回电" in t]
    assert booked and ("at " in booked[0] or "点" in booked[0]), record.transcript
    assert ticket["callback_at"] is not None
