"""The caller's own words: a `<Record>` transcribed by our pipeline, polled while they wait.

Where the configured engine has no model for the caller's language (pocketsphinx
ships English only), the describe step asks the carrier's recogniser instead
(`<Gather input="speech">`, as the main menu already does) rather than record
audio nobody here can transcribe. Voicemails are always recorded, so agents can
listen.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from ivr.calls.state import Phase
from ivr.controller.callbacks import Callbacks
from ivr.controller.listening import Listener
from ivr.controller.ports import FlowSource, TranscriptionPort
from ivr.controller.voicemail import Voicemail
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.ids import Topic
from ivr.speech.models import TranscriptionOutcome
from ivr.telephony import twiml
from ivr.telephony.schemas import CarrierCallback, HookQuery, RecordingResult

POLL_HOLD_SECONDS = 1.0  # how long one transcription poll waits inside the request


def ask_carrier(webhook: Webhook, action: engine.Record) -> None:
    """A speech `<Gather>` in place of `<Record>`; its answer comes to the record URL."""
    url = webhook.url("/twilio/record", flow=action.flow, node=action.node, via="speech")
    gather = engine.Gather(action.flow, action.node, "speech", 1, action.timeout, (), prompts=())
    twiml.gather(webhook.response, webhook.speaker, gather, url=url, timeout_url=url + "&empty=1")


class Recording:
    """What the caller recorded: understood at once, or transcribed while they wait."""

    def __init__(
        self,
        *,
        config: FlowSource,
        transcription: TranscriptionPort,
        listener: Listener,
        callbacks: Callbacks,
        voicemail: Voicemail,
        resume: Callable[[Webhook], Awaitable[None]],
        deadline_seconds: float,
    ) -> None:
        self._config = config
        self._transcription = transcription
        self._listener = listener
        self._callbacks = callbacks
        self._voicemail = voicemail
        self._resume = resume  # the flow goes on (FlowRunner.resume)
        self._deadline_seconds = deadline_seconds

    async def recorded(self, webhook: Webhook, callback: RecordingResult, query: HookQuery) -> None:
        """A `<Record>` (or its speech stand-in) finished: understand it, or transcribe it
        while the caller hears "one moment"."""
        state = webhook.state
        if state.phase is Phase.VOICEMAIL:
            await self._voicemail.left(webhook, callback, query)
            return
        node = self._config.flows[state.flow].nodes.get(state.node)
        if not isinstance(node, RecordNode) or query.node != state.node:
            await self._resume(webhook)
            return
        state.node = node.next
        if query.via == "speech":
            self._heard_by_carrier(webhook, callback, query)
            await self._resume(webhook)
            return
        recording = callback.RecordingUrl
        if query.empty or not recording:
            webhook.log("speech.failed", {"error": "nothing was recorded"})
            await self._resume(webhook)
            return
        duration = callback.RecordingDuration
        webhook.log(
            "speech.recorded",
            {"node": query.node, "recording_url": recording, "duration": duration},
        )
        await self._transcription.submit(
            call_sid=state.call_sid, recording_url=recording, language=state.language
        )
        if node.purpose == "voicemail":
            # A message is kept and transcribed for the ticket; the caller needn't wait,
            # and the callback the saved-message prompt promises is booked for them.
            await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL, announce=False)
            webhook.log("voicemail.left", {"recording_url": recording, "duration": duration})
            await self._resume(webhook)
            return
        state.phase = Phase.TRANSCRIBING
        state.transcribe_deadline = webhook.now + self._deadline_seconds
        webhook.speaker.say(webhook.response, engine.Say("one_moment"))
        _poll_again(webhook)

    def _heard_by_carrier(
        self, webhook: Webhook, callback: RecordingResult, query: HookQuery
    ) -> None:
        text = "" if query.empty else callback.SpeechResult.strip()
        if not text:
            webhook.log("speech.failed", {"error": "nothing was heard"})
            return
        webhook.log(
            "speech.transcribed",
            {
                "text": text,
                "confidence": callback.Confidence,
                "engine": "carrier",
                "node": query.node,
            },
        )
        self._listener.take_reading(webhook, text, None)

    async def transcribing(
        self, webhook: Webhook, callback: CarrierCallback, query: HookQuery
    ) -> None:
        """Poll our own transcription until it is done or the deadline passes."""
        state = webhook.state
        if state.phase is not Phase.TRANSCRIBING:
            await self._resume(webhook)
            return
        until = min(time.time() + POLL_HOLD_SECONDS, state.transcribe_deadline)
        outcome = await self._await_transcript(state.call_sid, until=until)
        if outcome is None and time.time() < state.transcribe_deadline:
            _poll_again(webhook)
            return
        state.phase = Phase.MENU
        if outcome is None:
            # Past the deadline: route with what we know; the transcript joins the
            # ticket when the worker finishes.
            webhook.log("error", {"where": "transcription", "message": "deadline passed"})
        elif outcome.transcript is not None and outcome.transcript.text.strip():
            transcript = outcome.transcript
            self._listener.take_reading(webhook, transcript.text, transcript.cues)
        await self._resume(webhook)

    async def _await_transcript(
        self, call_sid: str, *, until: float
    ) -> TranscriptionOutcome | None:
        """The outcome, waiting for it a little inside this request.

        Holding the request for up to a second routes the caller as soon as the
        transcript lands, with far fewer carrier round trips than bare polling.
        """
        while True:
            outcome = await self._transcription.outcome(call_sid=call_sid)
            if outcome is not None or time.time() >= until:
                return outcome
            await asyncio.sleep(0.1)


def _poll_again(webhook: Webhook) -> None:
    webhook.response.pause(length=1)
    webhook.response.redirect(webhook.url("/twilio/transcribing"), method="POST")
