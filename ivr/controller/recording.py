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
from ivr.config import Settings
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
from ivr.telephony.takes import is_empty

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
        perform: Callable[[Webhook, engine.Turn], Awaitable[None]],
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._transcription = transcription
        self._listener = listener
        self._callbacks = callbacks
        self._voicemail = voicemail
        self._resume = resume  # the flow goes on (FlowRunner.resume)
        self._perform = perform  # actions the flow would take (FlowRunner.perform)
        self._settings = settings  # read per request: the deadline may be changed live
        self._clock = clock  # the service's clock (ivr.clock), as the deadline was set by

    async def recorded(self, webhook: Webhook, callback: RecordingResult, query: HookQuery) -> None:
        """A `<Record>` (or its speech stand-in) finished: understand it, or transcribe it
        while the caller hears "one moment"."""
        state = webhook.state
        if state.phase is Phase.VOICEMAIL:
            await self._voicemail.left(webhook, callback, query)
            return
        node = webhook.flows[state.flow].nodes.get(state.node)
        if not isinstance(node, RecordNode) or query.node != state.node:
            await self._resume(webhook)
            return
        if is_empty(callback, query):
            await self._empty_take(webhook, node)
            return
        state.empty_takes = 0
        state.node = node.next
        if query.via == "speech":
            self._heard_by_carrier(webhook, callback, query)
            await self._resume(webhook)
            return
        recording = callback.RecordingUrl
        duration = callback.RecordingDuration
        webhook.log(
            "speech.recorded",
            {"node": query.node, "recording_url": recording, "duration": duration},
        )
        state.said += 1  # the recording's words keep their place, however late they come
        state.transcribing, state.recording_node = state.said, query.node
        await self._transcription.submit(
            call_sid=state.call_sid,
            recording_url=recording,
            language=state.language,
            utterance=state.said,
        )
        if node.purpose == "voicemail":
            # A message is kept and transcribed for the ticket; the caller needn't wait,
            # and the callback the saved-message prompt promises is booked for them.
            await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL, announce=False)
            webhook.log("voicemail.left", {"recording_url": recording, "duration": duration})
            await self._resume(webhook)
            return
        state.phase = Phase.TRANSCRIBING
        state.transcribe_deadline = webhook.now + self._settings.transcription_deadline_seconds
        webhook.speaker.say(webhook.response, engine.Say("one_moment"))
        _poll_again(webhook)

    async def _empty_take(self, webhook: Webhook, node: RecordNode) -> None:
        """Nothing was recorded: ask once more; after a second empty take go where the
        flow says (an offer of a callback), never on as if a message were kept."""
        state = webhook.state
        webhook.log("speech.failed", {"error": "nothing was recorded", "node": state.node})
        state.empty_takes += 1
        if state.empty_takes < 2:
            again = engine.Record(state.flow, state.node, node.max_length, node.timeout)
            await self._perform(webhook, engine.Turn(actions=[engine.Say("record_again"), again]))
            return
        state.empty_takes = 0
        state.node = node.on_empty or node.next
        await self._resume(webhook)

    def _heard_by_carrier(
        self, webhook: Webhook, callback: RecordingResult, query: HookQuery
    ) -> None:
        text = callback.SpeechResult.strip()
        webhook.log(
            "speech.transcribed",
            {
                "text": text,
                "confidence": callback.Confidence,
                "engine": "carrier",
                "node": query.node,
            },
        )
        self._listener.hear(webhook, text, source="carrier", node=query.node)

    async def transcribing(
        self, webhook: Webhook, callback: CarrierCallback, query: HookQuery
    ) -> None:
        """Poll our own transcription until it is done or the deadline passes."""
        state = webhook.state
        if state.phase is not Phase.TRANSCRIBING:
            await self._resume(webhook)
            return
        until = min(self._clock() + POLL_HOLD_SECONDS, state.transcribe_deadline)
        outcome = await self._await_transcript(state.call_sid, until=until)
        if outcome is None and self._clock() < state.transcribe_deadline:
            _poll_again(webhook)
            return
        state.phase = Phase.MENU
        if outcome is None:
            # Past the deadline: route with what we know; the transcript joins the
            # ticket when the worker finishes.
            webhook.log("error", {"where": "transcription", "message": "deadline passed"})
        elif outcome.transcript is not None and outcome.transcript.text.strip():
            transcript = outcome.transcript
            self._listener.hear(
                webhook,
                transcript.text,
                source="recording",
                node=state.recording_node,
                voice=transcript.cues,
                reading=outcome.reading,  # read once, by the worker
                number=state.transcribing or None,
            )
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
            if outcome is not None or self._clock() >= until:
                return outcome
            await asyncio.sleep(0.1)


def _poll_again(webhook: Webhook) -> None:
    webhook.response.pause(length=1)
    webhook.response.redirect(webhook.url("/twilio/transcribing"), method="POST")
