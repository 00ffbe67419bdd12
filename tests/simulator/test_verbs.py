"""The simulator reads TwiML with Twilio's documented defaults and refuses what Twilio would."""

from __future__ import annotations

from pathlib import Path

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.errors import InvalidInputError
from ivr.simulator import verbs as sim
from ivr.simulator.script import (
    AgentAnswers,
    AgentBusy,
    Audio,
    Hangup,
    Press,
    Silence,
    Speak,
    Wait,
    load_script,
    parse_steps,
)


def test_documents_built_by_the_twilio_library_parse_into_verbs() -> None:
    response = VoiceResponse()
    gather = Gather(input="dtmf speech", num_digits=1, action="/menu", language="cmn-Hans-CN")
    gather.say("请按一", voice="Polly.Zhiyu", language="zh-CN")
    gather.pause(length=2)
    response.append(gather)
    response.say("Goodbye", voice="Polly.Joanna", language="en-US", loop=2)
    response.play("https://example.com/hold.mp3")
    response.record(action="/recorded", max_length=30, play_beep=False)
    response.redirect("/again", method="GET")
    response.enqueue("general", wait_url="/wait", action="/left")
    response.leave()
    dial = Dial(action="/dialed", timeout=20)
    dial.client("agent-7")
    dial.number("+14155550100")
    dial.sip("sip:agent@example.com")
    response.append(dial)
    response.hangup()
    response.reject(reason="busy")

    verbs = sim.parse_twiml(str(response))

    assert [type(v).__name__ for v in verbs] == [
        "Gather", "Say", "Play", "Record", "Redirect", "Enqueue", "Leave", "Dial", "Hangup",
        "Reject",
    ]  # fmt: skip
    g = verbs[0]
    assert isinstance(g, sim.Gather)
    assert g.input == {"dtmf", "speech"} and g.num_digits == 1 and g.action == "/menu"
    assert g.language == "cmn-Hans-CN" and g.timeout == 5.0 and g.finish_on_key == "#"
    assert g.prompt == (sim.Say("请按一", "Polly.Zhiyu", "zh-CN"), sim.Pause(2.0))
    assert verbs[1] == sim.Say("Goodbye", "Polly.Joanna", "en-US", loop=2)
    assert verbs[3] == sim.Record(action="/recorded", max_length=30.0, play_beep=False)
    assert verbs[4] == sim.Redirect("/again", "GET")
    assert verbs[5] == sim.Enqueue("general", action="/left", wait_url="/wait")
    dialled = verbs[7]
    assert isinstance(dialled, sim.Dial)
    assert [(t.kind, t.address) for t in dialled.targets] == [
        ("client", "agent-7"),
        ("number", "+14155550100"),
        ("sip", "sip:agent@example.com"),
    ]
    assert dialled.timeout == 20.0 and dialled.action == "/dialed"
    assert verbs[9] == sim.Reject("busy")


def test_defaults_follow_twilio() -> None:
    verbs = sim.parse_twiml(
        "<Response><Gather/><Record/><Dial>+15551234567</Dial><Enqueue>q</Enqueue></Response>"
    )
    assert verbs[0] == sim.Gather()
    assert verbs[0].input == {"dtmf"} and verbs[0].action is None and verbs[0].method == "POST"
    assert verbs[1] == sim.Record()
    assert verbs[2] == sim.Dial(targets=(sim.DialTarget("number", "+15551234567"),))
    assert verbs[3] == sim.Enqueue("q")


def test_ssml_inside_say_is_read_as_its_text() -> None:
    (say,) = sim.parse_twiml(
        '<Response><Say>Hello <break time="1s"/> <prosody rate="slow">there</prosody></Say>'
        "</Response>"
    )
    assert say == sim.Say("Hello there")


def test_unknown_verbs_are_kept_to_be_shown_and_skipped() -> None:
    verbs = sim.parse_twiml('<Response><Sms to="+1">hi</Sms><Say>x</Say></Response>')
    assert verbs == [sim.Unsupported("Sms", {"to": "+1"}), sim.Say("x")]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("<Response><Say>unclosed</Response>", "not well-formed"),
        ("<Reply><Say>x</Say></Reply>", "root element is <Reply>"),
        ('<Response><Gather input="touch"/></Response>', "input"),
        ('<Response><Gather timeout="soon"/></Response>', "not a number"),
        ('<Response><Gather numDigits="1.5"/></Response>', "whole number"),
        ('<Response><Gather method="PUT"/></Response>', "GET or POST"),
        ("<Response><Gather><Dial>1</Dial></Gather></Response>", "may hold Say"),
        ('<Response><Gather actionOnEmptyResult="yes"/></Response>', "true or false"),
        ("<Response><Redirect/></Response>", "needs a URL"),
        ("<Response><Dial/></Response>", "names no one"),
        ("<Response><Dial><Say>x</Say></Dial></Response>", "may not hold"),
        ('<Response><Reject reason="rude"/></Response>', "rejected or busy"),
        ('<Response><Pause length="-1"/></Response>', "negative"),
    ],
)
def test_invalid_twiml_is_refused_with_a_reason(document: str, message: str) -> None:
    with pytest.raises(sim.TwimlError, match=message):
        sim.parse_twiml(document)


def test_script_files_become_steps(tmp_path: Path) -> None:
    script = tmp_path / "call.yaml"
    script.write_text(
        "- press: 1\n"
        "- say: I lost my card\n"
        "  confidence: 0.75\n"
        "- silence: true\n"
        "- audio: voice.wav\n"
        "- wait: 3\n"
        "- agent: busy\n"
        "- agent: answer\n"
        "  seconds: 12\n"
        "- hangup\n"
    )
    assert load_script(script) == [
        Press("1"),
        Speak("I lost my card", 0.75),
        Silence(),
        Audio(tmp_path / "voice.wav"),
        Wait(3),
        AgentBusy(),
        AgentAnswers(12.0),
        Hangup(),
    ]
    as_json = tmp_path / "call.json"
    as_json.write_text('{"steps": [{"press": "12#"}, {"say": "余额"}]}')
    assert load_script(as_json) == [Press("12#"), Speak("余额")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("press 1", "list of steps"),
        ([{"press": "1a"}], "step 1: press"),
        ([{"press": "1"}, {"dance": True}], "step 2: unknown step"),
        ([{"say": "x", "confidence": 2}], "between 0 and 1"),
        ([{"agent": "maybe"}], "not one of"),
        ([5], "not a mapping"),
    ],
)
def test_bad_scripts_name_the_step(data: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_steps(data)


def test_unreadable_script_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"missing\.yaml"):
        load_script(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("- press: [1\n")
    with pytest.raises(InvalidInputError, match=r"broken.yaml: not valid YAML"):
        load_script(broken)
