"""Whole calls through the real service, placed by the simulated carrier.

Real Redis, real SQLite, the shipped flows and prompts, real understanding
and routing; only the carrier (Twilio) is simulated, as it documents itself.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from ivr.app import create_app
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord
from ivr.simulator.script import AgentNoAnswer, Hangup, Press, Silence, Speak, Wait
from tests.telephony.conftest import Service


async def ticket_of(
    service: Service, record: CallRecord, *, ended: bool = False, **expect: Any
) -> dict[str, Any]:
    """The call's ticket, once the write-behind persister has stored what we expect."""
    async with service.api() as api:
        for _ in range(100):
            found = (await api.get("/api/tickets", params={"caller": record.caller})).json()
            items = found["items"] if isinstance(found, dict) else found
            mine = [t for t in items if t["call_sid"] == record.call_sid]
            if mine:
                full = (await api.get(f"/api/tickets/{mine[0]['id']}")).json()
                types = {e["type"] for e in full["events"]}
                if all(full.get(k) == v for k, v in expect.items()) and (
                    not ended or "call.ended" in types
                ):
                    return full
            await asyncio.sleep(0.1)
    raise AssertionError(f"no ticket with {expect} for {record.call_sid}: {mine or found}")


def heard(record: CallRecord) -> str:
    return record.transcript


async def test_lost_card_in_english_reaches_a_card_agent_then_the_survey(service: Service) -> None:
    await service.add_agent("ana", skills={"lost_stolen_card": 5, "general": 3})
    record = await service.carrier().place_call([Press("1"), Press("1"), Press("5")])
    assert record.errors == []
    dials = record.requests_to("/twilio/dial/done")
    assert len(dials) == 1 and dials[0].params["DialCallStatus"] == "completed"
    assert "<Identity>ana</Identity>" in "".join(r.body for r in record.requests)
    text = heard(record)
    assert "For English, press 1" in text
    assert "Thank you for your feedback" in text
    assert record.status == "completed"
    ticket = await ticket_of(service, record, csat=5, ended=True)
    assert ticket["topic"] == "lost_stolen_card"
    assert ticket["agent_id"] == "ana"
    assert ticket["outcome"] == "answered"
    types = [e["type"] for e in ticket["events"]]
    for expected in (
        "call.started",
        "language.chosen",
        "routing.decided",
        "agent.result",
        "survey.answered",
        "call.ended",
    ):
        assert expected in types


async def test_mandarin_speech_is_understood_and_answered_in_mandarin(service: Service) -> None:
    await service.add_agent("bo", languages=["zh-CN"], skills={"lost_stolen_card": 4})
    record = await service.carrier().place_call(
        [Press("2"), Speak("我的信用卡丢了，请帮我挂失"), Press("4")], language="zh-CN"
    )
    assert record.errors == []
    says = [h for h in record.heard if h.kind == "say"]
    # The language menu speaks both; from the choice on, everything is in Mandarin.
    assert says[0].language == "en-US" and says[1].voice == "Polly.Zhiyu"
    assert all(h.voice == "Polly.Zhiyu" for h in says[2:]), [(h.voice, h.text) for h in says]
    gathers = [r.body for r in record.requests if "<Gather" in r.body][1:]
    assert gathers and all('language="cmn-Hans-CN"' in g or 'input="dtmf"' in g for g in gathers)
    assert "<Identity>bo</Identity>" in "".join(r.body for r in record.requests)
    ticket = await ticket_of(service, record, csat=4)
    assert ticket["language"] == "zh-CN"
    assert ticket["topic"] == "lost_stolen_card"


async def test_with_nobody_free_the_caller_waits_hears_their_place_and_books_a_callback(
    service: Service,
) -> None:
    await service.add_agent("ana", skills={"account_inquiry": 4})
    async with service.api() as api:
        away = await api.put("/api/agents/ana/status", json={"status": "away"})
        assert away.status_code == 200
    record = await service.carrier().place_call([Press("1"), Press("3"), Wait(1), Press("1")])
    assert record.errors == []
    text = heard(record)
    assert "You are number 1 in line" in text
    assert "press 1" in text.lower()
    assert record.requests_to("/twilio/queue/done")
    assert "call you back" in text.lower() or "callback" in text.lower()
    ticket = await ticket_of(service, record, outcome="callback")
    assert ticket["topic"] == "account_inquiry"


async def test_an_agent_who_does_not_answer_is_skipped_for_the_next(service: Service) -> None:
    await service.add_agent("first", skills={"loans": 5})
    await service.add_agent("second", skills={"loans": 3})
    carrier = service.carrier(agent=None)
    record = await carrier.place_call([Press("1"), Press("5"), AgentNoAnswer(), Press("3")])
    assert record.errors == []
    statuses = [r.params["DialCallStatus"] for r in record.requests_to("/twilio/dial/done")]
    assert statuses == ["no-answer", "completed"]
    bodies = "".join(r.body for r in record.requests)
    assert "<Identity>first</Identity>" in bodies and "<Identity>second</Identity>" in bodies
    async with service.api() as api:
        first = (await api.get("/api/agents")).json()
    states = {a["agent"]["id"]: a["status"]["state"] for a in first}
    assert states["first"] == "away"


async def test_star_repeats_and_zero_asks_for_an_agent(service: Service) -> None:
    await service.add_agent("gen", skills={"general": 3})
    record = await service.carrier().place_call([Press("1"), Press("*"), Press("0"), Press("5")])
    assert record.errors == []
    menus = [r for r in record.requests if "node=main_menu" in r.url]
    assert len(menus) >= 2
    assert "<Identity>gen</Identity>" in "".join(r.body for r in record.requests)


async def test_silence_three_times_reaches_an_agent_never_dead_air(service: Service) -> None:
    await service.add_agent("gen", skills={"general": 3})
    record = await service.carrier().place_call(
        [Press("1"), Silence(), Silence(), Silence(), Press("5")]
    )
    assert record.errors == []
    assert heard(record).count("We did not hear a choice") >= 2
    assert "<Identity>gen</Identity>" in "".join(r.body for r in record.requests)


async def test_after_hours_a_caller_can_leave_a_callback_request(service: Service) -> None:
    record = await service.carrier().place_call([Press("1"), Press("2")])
    assert record.errors == []
    # The time is said once the callback is booked, never promised before.
    assert "booking your callback now" in heard(record)
    assert "Your callback is booked for" in heard(record)
    assert record.status == "completed"
    await ticket_of(service, record, outcome="callback")


async def test_a_hangup_in_the_queue_is_an_abandoned_call(service: Service) -> None:
    await service.add_agent("ana", skills={"payments_transfers": 4})
    async with service.api() as api:
        await api.put("/api/agents/ana/status", json={"status": "away"})
    record = await service.carrier().place_call([Press("1"), Press("4"), Hangup()])
    done = record.requests_to("/twilio/queue/done")
    assert done and done[0].params["QueueResult"] == "hangup"
    await ticket_of(service, record, outcome="abandoned")


async def _post(
    service: Service, path: str, params: dict[str, str], *, token: str | None = None
) -> httpx.Response:
    url = service.settings.public_url + path
    signature = RequestValidator(token or service.settings.twilio_auth_token).compute_signature(
        url, params
    )
    async with httpx.AsyncClient(
        transport=service.transport, base_url=service.settings.public_url
    ) as client:
        return await client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def _call(sid: str = "CA" + "a" * 32) -> dict[str, str]:
    return {
        "CallSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155550199",
        "To": "+18005550100",
        "CallStatus": "ringing",
        "Direction": "inbound",
    }


async def test_a_wrong_or_missing_signature_is_refused_and_changes_nothing(
    service: Service,
) -> None:
    bad = await _post(service, "/twilio/voice", _call(), token="not-the-token")
    assert bad.status_code == 403
    async with httpx.AsyncClient(
        transport=service.transport, base_url=service.settings.public_url
    ) as client:
        missing = await client.post("/twilio/voice", data=_call())
    assert missing.status_code == 403
    router = service.app.state.switchboard
    assert await router.calls.load("CA" + "a" * 32) is None
    good = await _post(service, "/twilio/voice", _call())
    assert good.status_code == 200
    assert good.headers["content-type"].startswith("text/xml")


async def test_a_signature_is_checked_against_the_public_url_behind_a_proxy(
    service: Service,
) -> None:
    # The proxy hands us http://internal:8080; Twilio signed https://bank.example/...
    service.settings.public_url = "https://bank.example"
    params = _call("CA" + "b" * 32)
    signature = RequestValidator(service.settings.twilio_auth_token).compute_signature(
        "https://bank.example/twilio/voice", params
    )
    async with httpx.AsyncClient(
        transport=service.transport, base_url="http://internal:8080"
    ) as client:
        answer = await client.post(
            "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
        )
    assert answer.status_code == 200
    assert "https://bank.example/twilio/gather" in answer.text


async def test_a_signature_made_with_the_default_port_is_accepted(service: Service) -> None:
    # Twilio may sign https://host:443/... for https://host/...: either form is valid.
    service.settings.public_url = "https://bank.example"
    params = _call("CA" + "p" * 32)
    signature = RequestValidator(service.settings.twilio_auth_token).compute_signature(
        "https://bank.example:443/twilio/voice", params
    )
    async with httpx.AsyncClient(transport=service.transport, base_url="http://x") as client:
        answer = await client.post(
            "/twilio/voice", data=params, headers={"X-Twilio-Signature": signature}
        )
        forged = await client.post(
            "/twilio/voice",
            data=params,
            headers={"X-Twilio-Signature": "é".encode("latin-1") + signature.encode()},
        )
    assert answer.status_code == 200 and "<Gather" in answer.text
    assert forged.status_code == 403


async def test_a_multipart_webhook_gets_the_same_answer_as_a_urlencoded_one(
    service: Service,
) -> None:
    # Twilio posts urlencoded forms, answered by the front door; any other body Starlette
    # parses goes through FastAPI's route, which must check and answer the same way.
    url = f"{service.settings.public_url}/twilio/voice"
    signer = RequestValidator(service.settings.twilio_auth_token)
    answers = []
    for sid, encoding in (("CA" + "m" * 32, "urlencoded"), ("CA" + "n" * 32, "multipart")):
        params = _call(sid)
        headers = {"X-Twilio-Signature": signer.compute_signature(url, params)}
        async with httpx.AsyncClient(transport=service.transport) as client:
            if encoding == "multipart":
                files = {k: (None, v) for k, v in params.items()}
                answer = await client.post(url, files=files, headers=headers)
                unsigned = await client.post(url, files=files)
            else:
                answer = await client.post(url, data=params, headers=headers)
                unsigned = await client.post(url, data=params)
        assert answer.status_code == 200, answer.text
        assert unsigned.status_code == 403 and "Signature" in unsigned.json()["detail"]
        answers.append(answer.text)
        assert await service.app.state.switchboard.calls.load(sid) is not None
    assert answers[0] == answers[1]


async def test_a_form_with_a_charset_and_chinese_speech_is_read_by_the_front_door(
    service: Service,
) -> None:
    signer = RequestValidator(service.settings.twilio_auth_token)
    sid = "CA" + "u" * 32
    base = service.settings.public_url

    async def post(client: httpx.AsyncClient, url: str, **extra: str) -> str:
        params = {**_call(sid), "CallerCity": "São Paulo", **extra}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8",
            "X-Twilio-Signature": signer.compute_signature(url, params),
            "I-Twilio-Idempotency-Token": "abc123",
        }
        answer = await client.post(url, content=urlencode(params).encode(), headers=headers)
        assert answer.status_code == 200, answer.text
        found = re.search(r'<Gather action="([^"]+)"', answer.text)
        return found.group(1).replace("&amp;", "&") if found else answer.text

    async with httpx.AsyncClient(transport=service.transport) as client:
        language = await post(client, f"{base}/twilio/voice")
        menu = await post(client, language, Digits="2")
        said = await post(
            client, menu, SpeechResult="我的信用卡丢了，请帮我挂失", Confidence="0.92"
        )
    assert "银行卡安全团队" in said  # the lost-card path, in Mandarin
    state = await service.app.state.switchboard.calls.load(sid)
    assert state is not None and state.language == "zh-CN"
    assert state.topic == "lost_stolen_card"


async def test_an_oversized_webhook_body_is_refused_and_changes_nothing(
    service: Service,
) -> None:
    params = {**_call("CA" + "o" * 32), "SpeechResult": "x" * (2 << 20)}
    answer = await _post(service, "/twilio/voice", params)
    assert answer.status_code == 413
    assert await service.app.state.switchboard.calls.load("CA" + "o" * 32) is None


async def test_absurd_input_gets_a_sensible_answer(service: Service) -> None:
    await _post(service, "/twilio/voice", _call())
    huge = {**_call(), "SpeechResult": "\x00\x07" + "blah " * 2000, "Confidence": "abc"}
    answer = await _post(service, "/twilio/gather?flow=main&node=language", huge)
    assert answer.status_code == 200 and answer.text.startswith("<?xml")
    assert "<Say" in answer.text
    no_sid = await _post(service, "/twilio/gather?flow=main&node=main_menu", {"Digits": "1"})
    assert no_sid.status_code == 200 and "<Say" in no_sid.text


async def test_a_step_for_an_unknown_call_starts_again_politely(service: Service) -> None:
    answer = await _post(
        service,
        "/twilio/gather?flow=main&node=main_menu",
        {**_call("CA" + "c" * 32), "Digits": "3"},
    )
    assert answer.status_code == 200
    assert "start again" in answer.text
    assert "node=language" in answer.text


async def test_a_failure_inside_still_answers_with_an_apology_and_the_queue(
    service: Service,
) -> None:
    sid = "CA" + "d" * 32
    board = service.app.state.switchboard
    await board.calls._redis.set(board.calls._keys.call(sid), b"{not json")
    answer = await _post(
        service, "/twilio/gather?flow=main&node=main_menu", {**_call(sid), "Digits": "1"}
    )
    assert answer.status_code == 200
    assert "<Enqueue" in answer.text and "<Say" in answer.text


async def test_a_retried_webhook_gets_the_same_answer_and_no_duplicate_events(
    service: Service,
) -> None:
    first = await _post(service, "/twilio/voice", _call("CA" + "e" * 32))
    again = await _post(service, "/twilio/voice", _call("CA" + "e" * 32))
    assert first.text == again.text


async def test_a_call_moves_between_two_server_processes(service: Service) -> None:
    await service.add_agent("ana", skills={"account_inquiry": 4})
    second = create_app(service.settings)
    async with second.router.lifespan_context(second):
        carrier = Carrier(
            base_url=service.settings.public_url,
            auth_token=service.settings.twilio_auth_token,
            transport=[service.transport, httpx.ASGITransport(app=second)],
        )
        record = await carrier.place_call([Press("1"), Press("3"), Press("5")])
    assert record.errors == []
    assert "<Identity>ana</Identity>" in "".join(r.body for r in record.requests)
    await ticket_of(service, record, csat=5)


async def test_an_angry_caller_is_calmed_and_reaches_an_agent_who_can_de_escalate(
    service: Service,
) -> None:
    await service.add_agent("junior", skills={"complaint": 3})
    await service.add_agent("senior", skills={"complaint": 3}, traits=["de_escalation"])
    words = "This is ridiculous, I am furious, you charged me twice and I want a manager now"
    record = await service.carrier().place_call([Press("1"), Speak(words), Press("2")])
    assert record.errors == []
    assert "<Identity>senior</Identity>" in "".join(r.body for r in record.requests)
    assert "We understand how important this is to you" in record.transcript
    ticket = await ticket_of(service, record, csat=2)
    assert ticket["emotion"] == "angry" and ticket["emotion_intensity"] > 0.4
    assert ticket["topic"] == "complaint"


async def test_a_waiting_caller_we_lost_track_of_leaves_the_queue_and_is_routed_again(
    service: Service,
) -> None:
    await service.add_agent("gen", skills={"general": 3})
    sid = "CA" + "f" * 32
    wait = await _post(service, "/twilio/queue/wait", {**_call(sid), "QueuePosition": "1"})
    assert wait.status_code == 200 and "<Leave" in wait.text
    done = await _post(service, "/twilio/queue/done", {**_call(sid), "QueueResult": "leave"})
    assert done.status_code == 200
    assert "<Say" in done.text and "<Identity>gen</Identity>" in done.text
