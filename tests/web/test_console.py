"""The console's parts without a browser: coaching, the pop, callbacks, ringing, the softphone."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest
import redis.asyncio as aioredis
from twilio.twiml.voice_response import VoiceResponse

from ivr.bank_time import day_start
from ivr.calls.state import CallState, Utterance
from ivr.errors import InvalidInputError
from ivr.ids import Emotion, Language, Topic
from ivr.keys import Keys
from ivr.nlu.models import Reading
from ivr.prompts.lint import forbidden_phrases
from ivr.simulator.agent_console import ring_console
from ivr.simulator.carrier_requests import CarrierRequests, sign
from ivr.simulator.verbs import Dial, DialTarget, parse_twiml
from ivr.telephony import twiml
from ivr.tickets.views import CustomerHistory, CustomerSummary, TicketView
from ivr.web.console.coaching import CALMING_STEPS, coaching
from ivr.web.console.pop import history_of, screen_pop
from ivr.web.console.wrapup import check_callback
from tests.tickets.conftest import answered_call
from tests.web.conftest import Web

CALL_SID = "CA" + "1" * 32
API_SECRET = "api-secret-0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("language", list(Language))
def test_the_coaching_says_what_the_linter_prefers_and_names_what_it_forbids(
    language: Language,
) -> None:
    guide = coaching(language)
    assert (
        [s.id for s in guide.calming]
        == list(CALMING_STEPS)
        == [
            "listen",
            "judge",
            "explain",
            "record",
        ]
    )
    for phrasing in guide.service_language:
        assert forbidden_phrases(phrasing.avoid), phrasing.avoid
        assert forbidden_phrases(phrasing.say) == [], phrasing.say
    assert set(guide.urgent) == {Topic.LOST_STOLEN_CARD, Topic.FRAUD_DISPUTE}


def ticket(ident: str, *, topic: str, status: str, at: float) -> TicketView:
    return TicketView(
        id=ident, call_sid="CA0", topic=topic, status=status, created_at=at, updated_at=at
    )


def _heard(text: str) -> Utterance:
    """One utterance of a caller as the call controller keeps it."""
    reading = Reading(
        text=text,
        language="zh-CN",
        topic=Topic.FRAUD_DISPUTE,
        topic_confidence=0.913,
        emotion=Emotion.ANGRY,
        emotion_intensity=0.8,
    )
    return Utterance(number=1, text=text, source="carrier", reading=reading)


def test_the_pop_redacts_what_the_caller_said_and_explains_the_history() -> None:
    now = time.time()
    state = CallState(
        call_sid=CALL_SID,
        caller="+8613800138000",
        language=Language.ZH_CN,
        topic=Topic.FRAUD_DISPUTE,
        topic_confidence=0.913,
        emotion=Emotion.ANGRY,
        emotion_intensity=0.8,
        heard=[_heard("我的卡号是4111 1111 1111 1111，被盗刷了")],
        path=["main/language", "main/main_menu"],
        started_at=now - 40,
    )
    history = CustomerHistory(
        phone=state.caller,
        calls=2,
        tickets=[
            ticket("TKnow", topic="fraud_dispute", status="open", at=now),
            ticket("TKold", topic="complaint", status="open", at=now - 3600),
        ],
    )
    summary = CustomerSummary(caller=state.caller, repeat_caller=True, last_agent_id="bo")
    pop = screen_pop(
        state,
        ticket_id="TKnow",
        routed_at=now,
        events=[],
        history=history_of(history, summary, [], this_ticket="TKnow"),
    )
    assert "4111" not in pop.transcript[0] and "被盗刷了" in pop.transcript[0]
    assert [t.id for t in pop.history.previous] == ["TKold"]
    assert pop.history.open_complaint and pop.history.repeat_caller
    assert pop.history.last_agent == "bo"
    assert pop.calm and pop.urgent
    assert pop.waiting_since == now - 40


def test_a_callback_must_lie_ahead_and_within_the_manuals_week() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    days, z = 7.0, ZoneInfo("Asia/Shanghai")
    assert check_callback(None, now=now.timestamp(), days=days, zone=z) is None
    tomorrow = now + timedelta(days=1)
    assert check_callback(tomorrow, now=now.timestamp(), days=days, zone=z) == tomorrow.timestamp()
    with pytest.raises(InvalidInputError, match="passed"):
        check_callback(now - timedelta(hours=1), now=now.timestamp(), days=days, zone=z)
    with pytest.raises(InvalidInputError, match="within 7 days"):
        check_callback(now + timedelta(days=8), now=now.timestamp(), days=days, zone=z)


def test_the_callback_time_an_agent_types_is_on_the_banks_clock() -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC).timestamp()  # 20:00 in Shanghai
    typed = datetime(2026, 12, 5, 10, 0)  # the datetime-local field: no zone
    shanghai = check_callback(typed, now=now, days=7, zone=ZoneInfo("Asia/Shanghai"))
    assert shanghai == datetime(2026, 12, 5, 2, 0, tzinfo=UTC).timestamp()
    utc = check_callback(typed, now=now, days=7, zone=ZoneInfo("UTC"))
    assert utc == datetime(2026, 12, 5, 10, 0, tzinfo=UTC).timestamp()
    # 19:00 typed in Shanghai has passed at 20:00 there, though 19:00 UTC is ahead.
    with pytest.raises(InvalidInputError, match="passed"):
        check_callback(datetime(2026, 12, 4, 19), now=now, days=7, zone=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
async def test_my_tickets_today_start_at_the_banks_midnight(web: Web, zone: str) -> None:
    web.settings.timezone = zone
    midnight = day_start(time.time(), ZoneInfo(zone))
    await web.store.persist(answered_call("CA-yesterday", t0=midnight - 1, agent_id="amy"))
    await web.store.persist(answered_call("CA-today", t0=midnight, agent_id="amy"))
    await web.store.persist(answered_call("CA-someone-else", t0=midnight, agent_id="bo"))
    await web.sign_in("agent")
    work = await web.client.get("/console/work", headers={"Accept": "application/json"})
    assert work.status_code == 200, work.text
    assert [t["created_at"] for t in work.json()["tickets"]] == [midnight]
    page = await web.client.get("/console")
    assert f"My tickets today ({zone})" in page.text
    assert f"Call back on ({zone})" in page.text


def test_our_dial_names_the_client_and_carries_the_ticket_and_the_simulator_reads_both() -> None:
    response = VoiceResponse()
    twiml.dial(response, endpoint="client", agent_id="amy", url="https://b/dial", ticket="TK1")
    assert "<Client><Identity>amy</Identity>" in twiml.render(response)
    [dial] = parse_twiml(twiml.render(response))
    assert isinstance(dial, Dial)
    assert dial.targets[0].address == "amy"
    assert dial.targets[0].parameters == (("ticket", "TK1"),)


async def test_the_console_is_for_agents_only(web: Web) -> None:
    await web.sign_in("supervisor")
    page = await web.client.get("/console")
    assert page.status_code == 403 and "for an agent" in page.text
    assert 'id="console"' not in page.text


async def test_the_simulator_rings_no_console_when_none_is_open(web: Web) -> None:
    url = "http://testserver/sim/console/ring"
    params = {"CallSid": CALL_SID, "Identity": "amy", "Wait": "1"}
    forged = await web.client.post(url, data=params, headers={"X-Twilio-Signature": "x"})
    assert forged.status_code == 403
    token = "test-auth-token-0123456789abcdef"
    signed = await web.client.post(
        url, data=params, headers={"X-Twilio-Signature": sign(token, url, params)}
    )
    assert signed.status_code == 200 and signed.json() == {"console": False}


async def test_the_softphone_token_registers_the_agents_identity(web: Web) -> None:
    await web.sign_in("agent")
    assert (await web.client.get("/console/softphone-token")).json() == {"softphone": False}
    settings = web.settings
    settings.twilio_api_key = "SK" + "2" * 32
    settings.twilio_api_secret = API_SECRET
    settings.twilio_twiml_app_sid = "AP" + "3" * 32
    grant = (await web.client.get("/console/softphone-token")).json()
    claims = jwt.decode(
        grant["token"], "api-secret-0123456789abcdef0123456789abcdef", algorithms=["HS256"]
    )
    assert claims["grants"]["identity"] == "amy"
    assert claims["grants"]["voice"]["incoming"] == {"allow": True}
    assert claims["iss"] == settings.twilio_api_key


async def test_the_console_speaks_the_agents_chosen_language(web: Web) -> None:
    await web.sign_in("agent")
    await web.client.get("/lang", params={"to": "zh-CN", "next": "/console"})
    page = await web.client.get("/console")
    assert page.status_code == 200
    assert 'lang="zh-CN"' in page.text and "坐席工作台" in page.text and "接听" in page.text


@pytest.mark.parametrize(
    ("pressed", "status"), [(["decline"], "busy"), (["answer", "end"], "completed")]
)
async def test_the_dial_outcome_follows_what_the_agent_did_on_the_console(
    web: Web, redis: aioredis.Redis, keys: Keys, pressed: list[str], status: str
) -> None:
    # Amy's console is open and she has already pressed her buttons (the simulator's
    # requests find them waiting, as when she is quicker than the carrier).
    await redis.set(keys.console_online("amy"), "1", ex=30)
    await redis.rpush(keys.console_ring(CALL_SID), *pressed)
    hooks = CarrierRequests(
        auth_token="test-auth-token-0123456789abcdef",
        transports=[httpx.ASGITransport(app=web.app)],
    )
    dial = Dial(targets=(DialTarget(kind="client", address="amy"),), timeout=5)
    try:
        answer = await ring_console(
            hooks,
            doc_url="http://testserver/twilio/voice",
            call_sid=CALL_SID,
            target=dial.targets[0],
            dial=dial,
        )
    finally:
        await hooks.aclose()
    assert answer is not None and answer.status == status


async def test_without_a_console_the_simulators_own_agent_takes_the_call(web: Web) -> None:
    hooks = CarrierRequests(
        auth_token="test-auth-token-0123456789abcdef",
        transports=[httpx.ASGITransport(app=web.app)],
    )
    dial = Dial(targets=(DialTarget(kind="client", address="amy"),), timeout=5)
    try:
        answer = await ring_console(
            hooks,
            doc_url="http://testserver/",
            call_sid=CALL_SID,
            target=dial.targets[0],
            dial=dial,
        )
    finally:
        await hooks.aclose()
    assert answer is None
