"""A caller's message: kept, checked for speech, and answered truthfully.

A message is left after hours (a flow's record node whose purpose is voicemail)
or from the queue after the longest wait; both are handled here, the same way.
It is "saved" only once our worker has heard speech in it
(ivr.speech.voice_activity): the carrier's RecordingDuration says only that
something was recorded, and 15 s of line hiss is something. While the worker
checks (fetch, decode, voice activity: well under a second of work, the words
come later), the caller hears "one moment" and the call polls, as the describe
step does, until IVR_TRANSCRIPTION_DEADLINE_SECONDS. Then:

- speech: "saved", and the callback the prompt promises is booked;
- nothing in it (an empty take, or a silent one): asked once more, then offered
  a callback (the flow's `on_empty`; from the queue, booked and said);
- not known in time, or the recording could not be fetched: "kept, and our team
  will listen to it" (the flow's `on_unsure`), with the callback booked. Neither
  "saved" nor "we did not hear you" would be known to be true.

Every take is on the ticket whatever it held: `speech.recorded` here, then the
worker's `speech.silent` or `speech.transcribed`; `voicemail.left` says whether
the message was heard to hold speech (`checked`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ivr.calls.state import Phase
from ivr.config import Settings
from ivr.controller.call_status import FINAL_STATUSES
from ivr.controller.callbacks import Callbacks
from ivr.controller.connect import goodbye
from ivr.controller.holding import POLL_HOLD_SECONDS, poll_again, wait_for
from ivr.controller.ports import TranscriptionPort
from ivr.controller.retakes import once_more, retake
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.ids import Topic
from ivr.speech.models import SpeechCheck
from ivr.telephony.schemas import CarrierCallback, HookQuery, RecordingResult
from ivr.telephony.takes import is_empty

QUEUE_MESSAGE = "voicemail"  # the `node` a message left from the queue is logged under


def record_voicemail(webhook: Webhook) -> None:
    """A `<Record>` for the caller's message; an empty one comes back marked so."""
    url = webhook.url("/twilio/record", voicemail=1)
    webhook.response.record(action=url, method="POST", max_length=120, timeout=5, play_beep=True)
    webhook.response.redirect(url + "&empty=1", method="POST")


class Voicemail:
    """Takes the message a caller leaves, and tells them truly what became of it."""

    def __init__(
        self,
        *,
        callbacks: Callbacks,
        transcription: TranscriptionPort,
        resume: Callable[[Webhook], Awaitable[None]],
        perform: Callable[[Webhook, engine.Turn], Awaitable[None]],
        settings: Settings,
        clock: Callable[[], float],
    ) -> None:
        self._callbacks = callbacks
        self._transcription = transcription
        self._resume = resume  # the flow goes on (FlowRunner.resume)
        self._perform = perform  # actions the flow would take (FlowRunner.perform)
        self._settings = settings  # read per request: the deadline may be changed live
        self._clock = clock  # the service's clock (ivr.clock), as the deadline was set by

    async def take(
        self,
        webhook: Webhook,
        callback: RecordingResult,
        query: HookQuery,
        *,
        node: RecordNode | None,
    ) -> None:
        """A message came back from `node` (None: from the queue): have it checked for
        speech while the caller holds, or ask once more when nothing was recorded."""
        state = webhook.state
        where = state.node if node is not None else QUEUE_MESSAGE
        if is_empty(callback, query):
            webhook.log("speech.failed", {"error": "nothing was recorded", "node": where})
            await self._again(webhook, node, prompt="record_again")
            return
        state.recording_node = state.node if node is not None else None
        state.recording_url = callback.RecordingUrl
        state.recording_seconds = callback.RecordingDuration
        webhook.log(
            "speech.recorded",
            {
                "node": where,
                "recording_url": callback.RecordingUrl,
                "duration": callback.RecordingDuration,
            },
        )
        state.said += 1  # the message's words keep their place, however late they come
        state.transcribing = state.said
        await self._transcription.submit(
            call_sid=state.call_sid,
            recording_url=callback.RecordingUrl,
            language=state.language,
            utterance=state.said,
        )
        if callback.CallStatus in FINAL_STATUSES:
            # The caller hung up as they finished: nobody is left to ask or to tell.
            await self._keep(webhook, node, checked=False)
            return
        state.phase = Phase.LISTENING
        state.transcribe_deadline = webhook.now + self._settings.transcription_deadline_seconds
        webhook.speaker.say(webhook.response, engine.Say("one_moment"))
        poll_again(webhook)

    async def listening(
        self, webhook: Webhook, callback: CarrierCallback, query: HookQuery
    ) -> None:
        """One poll while the message is checked: saved, asked for again, or kept."""
        state = webhook.state
        until = min(self._clock() + POLL_HOLD_SECONDS, state.transcribe_deadline)
        check = await wait_for(lambda: self._check(webhook), until=until, clock=self._clock)
        if check is None and self._clock() < state.transcribe_deadline:
            poll_again(webhook)
            return
        state.phase = Phase.MENU
        node = self._node(webhook)
        if check is None:
            webhook.log("error", {"where": "speech check", "message": "deadline passed"})
        if check is not None and check.status == "silent":
            await self._again(webhook, node, prompt="message_silent")
        else:
            await self._keep(webhook, node, checked=check is not None and check.status == "speech")

    async def caller_left(self, webhook: Webhook) -> None:
        """The caller hung up while their message was checked: it is kept all the same."""
        if webhook.state.phase is Phase.LISTENING:
            await self._book(webhook, checked=False)

    async def _check(self, webhook: Webhook) -> SpeechCheck | None:
        """The check of the message the caller waits on (not an older take's)."""
        state = webhook.state
        check = await self._transcription.speech_check(call_sid=state.call_sid)
        if check is None or check.recording_url != state.recording_url:
            return None
        return check

    def _node(self, webhook: Webhook) -> RecordNode | None:
        """The flow's voicemail node the message was left at; None for the queue's."""
        state = webhook.state
        if state.recording_node is None:
            return None
        node = webhook.flows[state.flow].nodes.get(state.recording_node)
        return node if isinstance(node, RecordNode) else None

    async def _again(self, webhook: Webhook, node: RecordNode | None, *, prompt: str) -> None:
        """Nothing heard: once more after `prompt`; after two, a callback is offered."""
        state = webhook.state
        if node is not None:
            await retake(webhook, node, prompt=prompt, perform=self._perform, resume=self._resume)
        elif once_more(state):
            webhook.speaker.say(webhook.response, engine.Say(prompt))
            record_voicemail(webhook)
            state.phase = Phase.VOICEMAIL
        else:
            await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL)
            goodbye(webhook)

    async def _keep(self, webhook: Webhook, node: RecordNode | None, *, checked: bool) -> None:
        """The message is kept and the callback booked; the caller hears which it is."""
        await self._book(webhook, checked=checked)
        state = webhook.state
        if node is not None:
            state.node = node.next if checked else (node.on_unsure or node.next)
            await self._resume(webhook)
            return
        webhook.speaker.say(
            webhook.response, engine.Say("voicemail_saved" if checked else "voicemail_kept")
        )
        goodbye(webhook)

    async def _book(self, webhook: Webhook, *, checked: bool) -> None:
        state = webhook.state
        state.empty_takes = 0
        # The callback the saved-message prompt promises; its time is not said here.
        await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL, announce=False)
        webhook.log(
            "voicemail.left",
            {
                "recording_url": state.recording_url,
                "duration": state.recording_seconds,
                "checked": checked,
            },
        )
