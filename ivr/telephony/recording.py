"""The caller's own words: a `<Record>` transcribed by our pipeline, polled while they wait.

Where the configured engine has no model for the caller's language (pocketsphinx
ships English only), the describe step asks the carrier's recogniser instead
(`<Gather input="speech">`, as the main menu already does) rather than record
audio nobody here can transcribe. Voicemails are always recorded, so agents can
listen. Functions over the switchboard and one webhook's Step, like connect.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivr.calls.state import Phase
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.ids import Topic
from ivr.speech.models import TranscriptionOutcome, VoiceCues
from ivr.telephony import connect, twiml
from ivr.telephony.step import Step

if TYPE_CHECKING:
    from ivr.telephony.switchboard import Switchboard

POLL_HOLD_SECONDS = 1.0  # how long one transcription poll waits inside the request


def ask_carrier(step: Step, action: engine.Record) -> None:
    """A speech `<Gather>` in place of `<Record>`; its answer comes to the record URL."""
    url = step.url("/twilio/record", flow=action.flow, node=action.node, via="speech")
    gather = engine.Gather(action.flow, action.node, "speech", 1, action.timeout, (), prompts=())
    twiml.gather(step.response, step.speaker, gather, url=url, timeout_url=url + "&empty=1")


def take_reading(board: Switchboard, step: Step, text: str, voice: VoiceCues | None) -> None:
    """Understand what the caller said: a confident topic, and their emotion, on the call."""
    state = step.state
    state.utterances.append(text)
    if voice is not None:
        state.voice = voice.model_dump()
    reading = board.understanding.read(
        text, state.language, voice=voice, behaviour=board.behaviour(state)
    )
    if reading.topic_confidence >= board.understanding.min_confidence:
        state.topic, state.topic_confidence = reading.topic, reading.topic_confidence
    state.emotion, state.emotion_intensity = reading.emotion, reading.emotion_intensity
    step.log("nlu.read", reading.model_dump(mode="json"))


async def recorded(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """A `<Record>` (or its speech stand-in) finished: understand it, or transcribe it
    while the caller hears "one moment"."""
    state = step.state
    if state.phase is Phase.VOICEMAIL:
        await connect.voicemail_left(board, step, params)
        return
    node = board.config.flows[state.flow].nodes.get(state.node)
    if not isinstance(node, RecordNode) or params.get("node") != state.node:
        await board.resume(step)
        return
    state.node = node.next
    if params.get("via") == "speech":
        _heard_by_carrier(board, step, params)
        await board.resume(step)
        return
    recording = params.get("RecordingUrl", "")
    if params.get("empty") or not recording:
        step.log("speech.failed", {"error": "nothing was recorded"})
        await board.resume(step)
        return
    duration = params.get("RecordingDuration")
    step.log(
        "speech.recorded",
        {"node": params.get("node"), "recording_url": recording, "duration": duration},
    )
    await board.transcription.submit(
        call_sid=state.call_sid, recording_url=recording, language=state.language
    )
    if node.purpose == "voicemail":
        # A message is kept and transcribed for the ticket; the caller needn't wait,
        # and the callback the saved-message prompt promises is booked for them.
        await connect.book_callback(board, step, topic=state.topic or Topic.GENERAL, announce=False)
        step.log("voicemail.left", {"recording_url": recording, "duration": duration})
        await board.resume(step)
        return
    state.phase = Phase.TRANSCRIBING
    state.transcribe_deadline = step.now + board.settings.transcription_deadline_seconds
    step.speaker.say(step.response, engine.Say("one_moment"))
    _poll_again(step)


def _heard_by_carrier(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    text = "" if params.get("empty") else params.get("SpeechResult", "").strip()
    if not text:
        step.log("speech.failed", {"error": "nothing was heard"})
        return
    step.log(
        "speech.transcribed",
        {
            "text": text,
            "confidence": params.get("Confidence", ""),
            "engine": "carrier",
            "node": params.get("node"),
        },
    )
    take_reading(board, step, text, None)


def _poll_again(step: Step) -> None:
    step.response.pause(length=1)
    step.response.redirect(step.url("/twilio/transcribing"), method="POST")


async def transcribing(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """Poll our own transcription until it is done or the deadline passes."""
    state = step.state
    if state.phase is not Phase.TRANSCRIBING:
        await board.resume(step)
        return
    outcome = await _await_transcript(
        board, state.call_sid, until=min(time.time() + POLL_HOLD_SECONDS, state.transcribe_deadline)
    )
    if outcome is None and time.time() < state.transcribe_deadline:
        _poll_again(step)
        return
    state.phase = Phase.MENU
    if outcome is None:
        # Past the deadline: route with what we know; the transcript joins the
        # ticket when the worker finishes.
        step.log("error", {"where": "transcription", "message": "deadline passed"})
    elif outcome.transcript is not None and outcome.transcript.text.strip():
        take_reading(board, step, outcome.transcript.text, outcome.transcript.cues)
    await board.resume(step)


async def _await_transcript(
    board: Switchboard, call_sid: str, *, until: float
) -> TranscriptionOutcome | None:
    """The outcome, waiting for it a little inside this request.

    Holding the request for up to a second routes the caller as soon as the
    transcript lands, with far fewer carrier round trips than bare polling.
    """
    while True:
        outcome = await board.transcription.outcome(call_sid=call_sid)
        if outcome is not None or time.time() >= until:
            return outcome
        await asyncio.sleep(0.1)
