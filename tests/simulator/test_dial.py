"""`<Dial>`: the simulated far end answers, or not, and the action hears how it went."""

from __future__ import annotations

import pytest

from ivr.simulator import (
    AgentAnswers,
    AgentBusy,
    AgentFailed,
    AgentNoAnswer,
    Carrier,
    Press,
)
from ivr.simulator.script import AgentStep
from ivr.simulator.stand_in import StandIn

TOKEN = "simulator-test-token"
DIAL = (
    '<Dial action="/dialed" timeout="20"><Client>agent-7</Client>'
    "<Number>+14155550100</Number><Sip>sip:desk@example.com</Sip></Dial><Say>unreachable</Say>"
)


def service() -> StandIn:
    return StandIn(
        TOKEN,
        {
            "/twilio/voice": DIAL,
            "/dialed": lambda p: (
                f"<Say>{p['DialCallStatus']}</Say>"
                '<Gather numDigits="1" action="/survey"><Say>Rate us 1 to 5</Say></Gather>'
            ),
            "/survey": "<Say>Thank you</Say><Hangup/>",
        },
    )


def carrier(stand_in: StandIn, **kw: object) -> Carrier:
    return Carrier(
        base_url="http://testserver",
        auth_token=TOKEN,
        transport=stand_in.transport(),
        **kw,  # type: ignore[arg-type]
    )


async def test_an_answered_dial_reports_its_duration_then_the_call_continues() -> None:
    stand_in = service()
    record = await carrier(stand_in).place_call([AgentAnswers(seconds=95), Press("5")])
    dialed = stand_in.to("/dialed")[0].params
    assert dialed["DialCallStatus"] == "completed"
    assert dialed["DialCallDuration"] == "95"
    assert dialed["DialCallSid"].startswith("CA") and dialed["DialCallSid"] != record.call_sid
    assert stand_in.to("/survey")[0].params["Digits"] == "5"
    assert record.said == ["completed", "Rate us 1 to 5", "Thank you"]
    assert any("client:agent-7, number:+14155550100, sip:sip:desk@example.com" in n.text
               for n in record.notes)  # fmt: skip
    assert record.duration >= 95


@pytest.mark.parametrize(
    ("step", "status"),
    [(AgentNoAnswer(), "no-answer"), (AgentBusy(), "busy"), (AgentFailed(), "failed")],
)
async def test_an_unanswered_dial_reports_why(step: AgentStep, status: str) -> None:
    stand_in = service()
    record = await carrier(stand_in).place_call([step])
    dialed = stand_in.to("/dialed")[0].params
    assert dialed["DialCallStatus"] == status
    assert "DialCallDuration" not in dialed
    assert record.said[0] == status


async def test_the_carrier_default_answers_when_the_script_does_not_say() -> None:
    stand_in = service()
    await carrier(stand_in, agent=AgentBusy()).place_call()
    assert stand_in.to("/dialed")[0].params["DialCallStatus"] == "busy"
    stand_in = service()
    await carrier(stand_in).place_call()
    assert stand_in.to("/dialed")[0].params["DialCallStatus"] == "completed"


async def test_time_limit_caps_the_talk_time() -> None:
    stand_in = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Dial action="/dialed" timeLimit="30">+15550001111</Dial>',
            "/dialed": "",
        },
    )
    await carrier(stand_in).place_call([AgentAnswers(seconds=600)])
    assert stand_in.to("/dialed")[0].params["DialCallDuration"] == "30"


async def test_without_an_action_the_document_continues_after_dial() -> None:
    stand_in = StandIn(
        TOKEN, {"/twilio/voice": "<Dial><Client>agent-7</Client></Dial><Say>After</Say>"}
    )
    record = await carrier(stand_in).place_call([AgentNoAnswer()])
    assert record.said == ["After"]
