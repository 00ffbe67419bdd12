"""The caller's own words: a `<Record>` transcribed by our pipeline, polled while they wait.

Where the configured engine has no model for the caller's language (pocketsphinx
ships English only), the describe step asks the carrier's recogniser instead
(`<Gather input="speech">`, as the main menu already does) rather than record
audio nobody here can transcribe. Voicemails are always recorded, so agents can
listen; what is done with them is ivr.controller.voicemail's. A take with nothing
in it (empty, or speech our worker did not hear) is asked for once more
(ivr.controller.retakes). Words heard unsurely at a describe step are read back for
the caller to confirm first (ivr.controller.confirming).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from ivr.calls.state import Phase, Take
from ivr.config import Settings
from ivr.controller.confirming import Confirmation
from ivr.controller.holding import POLL_HOLD_SECONDS, poll_again, wait_for
from ivr.controller.listening import Listener
from ivr.controller.ports import FlowSource, TranscriptionPort
from ivr.controller.retakes import retake
from ivr.controller.voicemail import Voicemail
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.speech.models import TranscriptionOutcome
from ivr.telephony import twiml
from ivr.telephony.schemas import CarrierCallback, HookQuery, RecordingResult
from ivr.telephony.takes import is_empty

__all__ = ["POLL_HOLD_SECONDS", "Recording", "ask_carrier"]


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
        voicemail: Voicemail,
        confirmation: Confirmation,
        resume: Callable[[Webhook], Awaitable[None]],
        perform: Callable[[Webhook, engine.Turn], Awaitable[None]],
        settings: Settings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._config = config
        self._transcription = transcription
        self._listener = listener
        self._voicemail = voicemail
        self._confirmation = confirmation  # words heard unsurely are read back first
        self._resume = resume  # the flow goes on (FlowRunner.resume)
        self._perform = perform  # actions the flow would take (FlowRunner.perform)
        self._settings = settings  # read per request: the deadline may be changed live
        self._clock = clock  # the service's clock (ivr.clock), as the deadline was set by

    async def recorded(self, webhook: Webhook, callback: RecordingResult, query: HookQuery) -> None:
        """A `<Record>` (or its speech stand-in) finished: understand it, or transcribe it
        while the caller hears "one moment"."""
        state = webhook.state
        if state.phase is Phase.VOICEMAIL:
            await self._voicemail.take(webhook, callback, query, node=None)
            return
        node = webhook.flows[state.flow].nodes.get(state.node)
        if not isinstance(node, RecordNode) or query.node != state.node:
            await self._resume(webhook)
            return
        if node.purpose == "voicemail":
            await self._voicemail.take(webhook, callback, query, node=node)
            return
        if is_empty(callback, query):
            webhook.log("speech.failed", {"error": "nothing was recorded", "node": state.node})
            await self._retake(webhook, node)
            return
        here, state.node = state.node, node.next
        if query.via == "speech":
            state.empty_takes = 0
            if not self._heard_by_carrier(webhook, callback, node=here):
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
        state.phase = Phase.TRANSCRIBING
        state.transcribe_deadline = webhook.now + self._settings.transcription_deadline_seconds
        webhook.speaker.say(webhook.response, engine.Say("one_moment"))
        poll_again(webhook)

    async def _retake(self, webhook: Webhook, node: RecordNode) -> None:
        """Nothing was heard: ask once more; after a second such take go where the flow
        says, never on as if the caller had been heard."""
        await retake(
            webhook, node, prompt="record_again", perform=self._perform, resume=self._resume
        )

    def _heard_by_carrier(self, webhook: Webhook, callback: RecordingResult, *, node: str) -> bool:
        """Hear the carrier's words; True when the caller is asked to confirm them first."""
        state = webhook.state
        text = callback.SpeechResult.strip()
        webhook.log(
            "speech.transcribed",
            {
                "text": text,
                "confidence": callback.Confidence,
                "engine": "carrier",
                "node": node,
            },
        )
        state.said += 1
        take = Take(
            flow=state.flow,
            node=node,
            number=state.said,
            text=text,
            source="carrier",
            confidence=callback.Confidence,
            reading=self._listener.read(webhook, text),  # read once, kept with the take
        )
        return self._confirmation.hear_or_ask(webhook, take)

    async def transcribing(
        self, webhook: Webhook, callback: CarrierCallback, query: HookQuery
    ) -> None:
        """Poll our own transcription until it is done or the deadline passes (a message
        waits only for the check that it holds speech: Voicemail.listening)."""
        state = webhook.state
        if state.phase is Phase.LISTENING:
            await self._voicemail.listening(webhook, callback, query)
            return
        if state.phase is not Phase.TRANSCRIBING:
            await self._resume(webhook)
            return
        until = min(self._clock() + POLL_HOLD_SECONDS, state.transcribe_deadline)
        outcome = await wait_for(
            lambda: self._transcription.outcome(call_sid=state.call_sid),
            until=until,
            clock=self._clock,
        )
        if outcome is None and self._clock() < state.transcribe_deadline:
            poll_again(webhook)
            return
        state.phase = Phase.MENU
        if outcome is not None and outcome.status == "silent":
            # Our worker heard no speech: the description is asked for once more.
            node = webhook.flows[state.flow].nodes.get(state.recording_node or "")
            if isinstance(node, RecordNode):
                state.node = state.recording_node or state.node
                await self._retake(webhook, node)
                return
        state.empty_takes = 0
        if outcome is None:
            # Past the deadline: route with what we know; the transcript joins the
            # ticket when the worker finishes.
            webhook.log("error", {"where": "transcription", "message": "deadline passed"})
        elif outcome.transcript is not None and outcome.transcript.text.strip():
            # Words heard unsurely are read back first: then the question is the answer.
            asking = self._confirmation.hear_or_ask(webhook, _take(webhook, outcome))
            if asking:
                return
        await self._resume(webhook)


def _take(webhook: Webhook, outcome: TranscriptionOutcome) -> Take:
    """The words of a finished transcription, with the reading the worker gave them."""
    state = webhook.state
    transcript = outcome.transcript
    assert transcript is not None
    if not state.transcribing:  # a recording sent before utterances were numbered
        state.said += 1
        state.transcribing = state.said
    return Take(
        flow=state.flow,
        node=state.recording_node or state.node,
        number=state.transcribing,
        text=transcript.text,
        source="recording",
        confidence=transcript.confidence,
        reading=outcome.reading,  # read once, by the worker
        voice=transcript.cues,
    )
