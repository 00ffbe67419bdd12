"""The simulated carrier signs, posts and executes TwiML the way Twilio documents it.

The service here is a stand-in answering fixed TwiML (the counterpart we fake only to
test the simulator itself); it checks every signature with twilio's RequestValidator.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ivr.simulator import Carrier, Limits, Press, Silence, Speak
from ivr.simulator.script import Hangup
from ivr.simulator.stand_in import Reply, StandIn

TOKEN = "simulator-test-token"
BASE = "http://testserver"


def carrier(service: StandIn, **kw: object) -> Carrier:
    return Carrier(base_url=BASE, auth_token=TOKEN, transport=service.transport(), **kw)  # type: ignore[arg-type]


async def test_every_request_carries_twilio_parameters_and_a_valid_signature() -> None:
    service = StandIn(
        TOKEN,
        {"/twilio/voice": '<Gather action="/menu"><Say>Press 1</Say></Gather>', "/menu": ""},
    )
    record = await carrier(service).place_call(
        [Press("1")], caller="+14155550199", called="+18005550100"
    )

    assert [r.path for r in service.received] == ["/twilio/voice", "/menu", "/twilio/status"]
    assert all(r.signature_valid for r in service.received)
    first = service.received[0].params
    assert first["CallSid"] == record.call_sid and len(record.call_sid) == 34
    assert record.call_sid.startswith("CA") and int(record.call_sid[2:], 16) >= 0
    assert first["AccountSid"].startswith("AC") and first["ApiVersion"] == "2010-04-01"
    assert first["Direction"] == "inbound" and first["CallStatus"] == "ringing"
    assert first["From"] == first["Caller"] == "+14155550199"
    assert first["To"] == first["Called"] == "+18005550100"
    assert service.received[1].params["CallStatus"] == "in-progress"
    assert service.received[1].params["Digits"] == "1"
    # The record keeps the signature sent; it is the one RequestValidator accepts.
    sent = record.requests[1]
    assert RequestValidator(TOKEN).validate(sent.url, sent.params, sent.signature)
    assert not RequestValidator("another-token").validate(sent.url, sent.params, sent.signature)


async def test_a_wrong_token_is_refused_and_the_call_ends_with_an_application_error() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": "<Say>Welcome</Say>"})
    record = await Carrier(
        base_url=BASE, auth_token="wrong", transport=service.transport()
    ).place_call()
    assert service.received[0].signature_valid is False
    assert record.requests[0].status_code == 403
    assert "HTTP 403" in record.errors[0]
    assert record.heard[-1].kind == "error" and "application error" in record.heard[-1].text
    assert record.ended_by == "application-error"


async def test_say_play_pause_are_heard_with_voice_and_language_and_time_is_counted() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Say voice="Polly.Zhiyu" language="zh-CN">欢迎致电</Say>'
            '<Play>https://example.com/chime.mp3</Play><Pause length="7"/>'
            '<Say loop="2">Goodbye</Say>'
        },
    )
    record = await carrier(service).place_call()
    assert [(h.kind, h.text, h.language, h.voice) for h in record.heard] == [
        ("say", "欢迎致电", "zh-CN", "Polly.Zhiyu"),
        ("play", "https://example.com/chime.mp3", "", ""),
        ("pause", "7s", "", ""),
        ("say", "Goodbye", "", ""),
        ("say", "Goodbye", "", ""),
    ]
    assert record.ended_by == "end-of-document" and record.status == "completed"
    assert record.duration >= 7
    status = service.to("/twilio/status")[0].params
    assert status["CallStatus"] == "completed"
    assert int(status["CallDuration"]) == int(record.duration)
    assert status["CallSid"] == record.call_sid


async def test_gather_sends_digits_and_speech_to_its_action() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Gather input="dtmf speech" action="/step"><Say>Hi</Say></Gather>',
            "/step": lambda p: (
                '<Gather input="speech" action="/step"/>' if "Digits" in p else "<Hangup/>"
            ),
        },
    )
    record = await carrier(service).place_call([Press("42#"), Speak("lost card", confidence=0.8)])
    steps = service.to("/step")
    assert steps[0].params["Digits"] == "42"
    assert steps[1].params["SpeechResult"] == "lost card"
    assert steps[1].params["Confidence"] == "0.80"
    assert "Digits" not in steps[1].params
    assert record.ended_by == "service" and record.steps_left == []


async def test_num_digits_ends_the_gather_and_keys_after_it_are_dropped() -> None:
    service = StandIn(
        TOKEN, {"/twilio/voice": '<Gather numDigits="1" action="/step"/>', "/step": ""}
    )
    record = await carrier(service).place_call([Press("123")])
    assert service.to("/step")[0].params["Digits"] == "1"
    assert any("'23'" in n.text for n in record.notes)


async def test_a_gather_with_no_answer_times_out_and_goes_on_with_the_next_verb() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Gather timeout="3" action="/step"><Say>Menu</Say></Gather>'
            "<Say>We did not hear you</Say><Redirect>/twilio/voice?retry=1</Redirect>",
            "/step": "",
        },
    )
    record = await carrier(service).place_call([Silence(), Press("9")])
    assert [r.path for r in service.received][:3] == ["/twilio/voice", "/twilio/voice", "/step"]
    assert service.received[1].url.endswith("/twilio/voice?retry=1")
    assert record.said == ["Menu", "We did not hear you", "Menu"]
    assert service.to("/step")[0].params["Digits"] == "9"


async def test_action_on_empty_result_posts_the_action_without_input() -> None:
    service = StandIn(
        TOKEN,
        {"/twilio/voice": '<Gather actionOnEmptyResult="true" action="/step"/>', "/step": ""},
    )
    await carrier(service).place_call()
    step = service.to("/step")[0].params
    assert "Digits" not in step and "SpeechResult" not in step


async def test_input_the_gather_does_not_take_is_ignored_like_twilio_does() -> None:
    service = StandIn(
        TOKEN,
        {"/twilio/voice": '<Gather input="dtmf" action="/step"/><Say>No input</Say>', "/step": ""},
    )
    record = await carrier(service).place_call([Speak("agent please")])
    assert service.to("/step") == []
    assert record.said == ["No input"]
    assert any("keys only" in n.text for n in record.notes)


async def test_gather_without_action_posts_to_the_current_document() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Redirect method="GET">/menu?lang=en</Redirect>',
            "/menu": lambda p: "<Hangup/>" if "Digits" in p else "<Gather/>",
        },
    )
    await carrier(service).place_call([Press("3")])
    menu = service.to("/menu")
    assert menu[0].method == "GET" and menu[0].params["lang"] == "en"
    assert menu[1].method == "POST" and menu[1].params["Digits"] == "3"
    assert menu[1].url == f"{BASE}/menu?lang=en"
    assert all(r.signature_valid for r in service.received)


async def test_absolute_urls_are_followed_as_given() -> None:
    other = "http://elsewhere.example:8443/flows/next"
    service = StandIn(
        TOKEN,
        {"/twilio/voice": f"<Redirect>{other}</Redirect>", "/flows/next": "<Say>There</Say>"},
    )
    record = await carrier(service).place_call()
    assert record.requests[1].url == other
    assert service.received[1].url == other and service.received[1].signature_valid
    assert record.said == ["There"]


async def test_the_caller_hanging_up_at_a_gather_ends_the_call() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": '<Gather action="/step"/>', "/step": ""})
    record = await carrier(service).place_call([Hangup()])
    assert record.ended_by == "caller" and record.status == "completed"
    assert [r.path for r in service.received] == ["/twilio/voice", "/twilio/status"]


@pytest.mark.parametrize(("reason", "status"), [("busy", "busy"), ("rejected", "no-answer")])
async def test_reject_refuses_the_call_unanswered(reason: str, status: str) -> None:
    service = StandIn(TOKEN, {"/twilio/voice": f'<Reject reason="{reason}"/><Say>never</Say>'})
    record = await carrier(service).place_call()
    assert record.status == status and record.said == []
    callback = service.to("/twilio/status")[0].params
    assert callback["CallStatus"] == status and callback["CallDuration"] == "0"


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        (Reply("oops", status_code=500), "HTTP 500"),
        (Reply("<Response><Say>unclosed</Response>"), "12100"),
        (Reply("<Response/>", content_type="application/json"), "12300"),
        (Reply('{"say": "hi"}', content_type="application/json"), "not text/xml"),
    ],
)
async def test_a_broken_answer_ends_the_call_as_twilio_would(reply: Reply, problem: str) -> None:
    service = StandIn(TOKEN, {"/twilio/voice": '<Gather action="/step"/>', "/step": reply})
    record = await carrier(service).place_call([Press("1")])
    assert len(record.errors) == 1 and problem in record.errors[0]
    assert record.said == [] and record.heard[-1].kind == "error"
    assert record.status == "completed" and record.ended_by == "application-error"
    assert service.to("/twilio/status"), "the status callback is still sent"


async def test_an_unreachable_service_is_reported() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    transport = httpx.MockTransport(refuse)
    record = await Carrier(base_url=BASE, auth_token=TOKEN, transport=transport).place_call()
    assert "cannot reach" in record.errors[0]
    assert any("status callback" in e for e in record.errors)


async def test_a_redirect_loop_is_bounded() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": "<Pause/><Redirect>/twilio/voice</Redirect>"})
    record = await carrier(service, limits=Limits(max_requests=15)).place_call()
    assert record.ended_by == "limit"
    assert len(service.to("/twilio/voice")) == 15


async def test_unsupported_verbs_are_skipped_and_noted() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": "<Sms>hi</Sms><Say>after</Say>"})
    record = await carrier(service).place_call()
    assert record.said == ["after"]
    assert any("<Sms>" in n.text for n in record.notes)


async def test_steps_not_used_are_reported() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": "<Say>Closed</Say><Hangup/>"})
    record = await carrier(service).place_call([Press("1")])
    assert record.steps_left == [Press("1")]


async def test_requests_can_alternate_between_service_processes() -> None:
    routes = {"/twilio/voice": '<Gather action="/step"/>', "/step": "<Say>ok</Say>"}
    first, second = StandIn(TOKEN, dict(routes)), StandIn(TOKEN, dict(routes))
    record = await Carrier(
        base_url=BASE, auth_token=TOKEN, transport=[first.transport(), second.transport()]
    ).place_call([Press("1")])
    assert [r.path for r in first.received] == ["/twilio/voice", "/twilio/status"]
    assert [r.path for r in second.received] == ["/step"]
    assert record.said == ["ok"]


async def test_the_observer_sees_events_as_they_happen() -> None:
    seen: list[object] = []
    service = StandIn(TOKEN, {"/twilio/voice": "<Say>Hello</Say>"})
    record = await carrier(service, observer=seen.append).place_call()
    assert seen == [record.requests[0], record.heard[0], record.requests[1]]


async def test_one_carrier_places_concurrent_calls_independently() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Gather action="/step"/>',
            "/step": lambda p: f"<Say>{p['CallSid']} pressed {p['Digits']}</Say>",
        },
    )
    shared = carrier(service)
    records = await asyncio.gather(*(shared.place_call([Press(str(n))]) for n in range(8)))
    assert len({r.call_sid for r in records}) == 8
    for n, record in enumerate(records):
        assert record.said == [f"{record.call_sid} pressed {n}"]
