"""TwiML rendering: exactly what the twilio library's builder serialises, only faster."""

from __future__ import annotations

import pytest
from twilio.twiml.voice_response import VoiceResponse

from ivr.flows import engine
from ivr.ids import Language
from ivr.prompts.model import PromptCatalog, PromptSet, SayVoice
from ivr.telephony import twiml


def _menu() -> VoiceResponse:
    response = VoiceResponse()
    response.say('Fish & "chips" <today>\nline two\ttab', voice="Polly.Joanna", language="en-US")
    gather = response.gather(
        input="dtmf speech",
        action="https://bank.example/twilio/gather?flow=main&node=menu&s=3",
        num_digits=1,
        timeout=5,
        action_on_empty_result=False,
        hints="lost card, 挂失",
    )
    gather.say("您好，普通话请按2。", voice="Polly.Zhiyu", language="cmn-CN")
    response.redirect("https://bank.example/twilio/gather?silence=1", method="POST")
    return response


def _connect() -> VoiceResponse:
    response = VoiceResponse()
    dial = response.dial(action="https://b/twilio/dial/done?s=4", timeout=20, answer_on_bridge=True)
    dial.client("ana")
    dial.number("+14155550100")
    dial.sip("sip:agent@pbx.example")
    response.enqueue("lost_stolen_card.en-US", wait_url="https://b/w", wait_url_method="POST")
    response.leave()
    response.pause(length=1)
    response.record(max_length=30, play_beep=True, trim="trim-silence")
    response.hangup()
    return response


@pytest.mark.parametrize("build", [_menu, _connect, VoiceResponse])
def test_render_is_byte_for_byte_the_libraries_xml(build: object) -> None:
    response = build()  # type: ignore[operator]
    assert twiml.render(response) == response.to_xml()


def test_a_speaker_says_each_language_in_its_own_voice() -> None:
    catalog = PromptCatalog(
        sets={
            Language.EN_US: PromptSet(
                language=Language.EN_US,
                say=SayVoice(voice="Polly.Joanna", language="en-US"),
                gather_language="en-US",
                prompts={"hello": "For English, press 1.", "hello.calm": "We hear you."},
            ),
            Language.ZH_CN: PromptSet(
                language=Language.ZH_CN,
                say=SayVoice(voice="Polly.Zhiyu", language="cmn-CN"),
                gather_language="cmn-Hans-CN",
                prompts={"hello": "普通话请按2。"},
            ),
        }
    )
    response = VoiceResponse()
    speaker = twiml.Speaker(prompts=catalog, language=Language.ZH_CN)
    speaker.say(response, engine.Say("hello", all_languages=True))
    assert twiml.render(response) == (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        '<Say language="cmn-CN" voice="Polly.Zhiyu">普通话请按2。</Say>'
        '<Say language="en-US" voice="Polly.Joanna">For English, press 1.</Say></Response>'
    )
    calm = twiml.Speaker(prompts=catalog, language=Language.EN_US, calm=True)
    assert calm.text("hello") == "We hear you."
    assert twiml.Speaker(prompts=catalog, language=Language.ZH_CN, calm=True).text("hello") == (
        "普通话请按2。"
    )
