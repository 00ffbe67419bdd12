"""A caller's voicemail: kept, transcribed like any recording, and answered by a callback."""

from __future__ import annotations

from ivr.controller.callbacks import Callbacks
from ivr.controller.connect import goodbye
from ivr.controller.ports import TranscriptionPort
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.ids import Topic
from ivr.telephony.schemas import HookQuery, RecordingResult
from ivr.telephony.takes import is_empty


def record_voicemail(webhook: Webhook) -> None:
    """A `<Record>` for the caller's message; an empty one comes back marked so."""
    url = webhook.url("/twilio/record", voicemail=1)
    webhook.response.record(action=url, method="POST", max_length=120, timeout=5, play_beep=True)
    webhook.response.redirect(url + "&empty=1", method="POST")


class Voicemail:
    """Takes the message a caller left after the longest wait."""

    def __init__(self, *, callbacks: Callbacks, transcription: TranscriptionPort) -> None:
        self._callbacks = callbacks
        self._transcription = transcription

    async def left(self, webhook: Webhook, callback: RecordingResult, query: HookQuery) -> None:
        """Keep the message (transcribed like any recording), book the callback, say goodbye.

        An empty one is not "saved": the caller is asked once more, then booked a callback.
        """
        state = webhook.state
        topic = state.topic or Topic.GENERAL
        recording = callback.RecordingUrl
        empty = is_empty(callback, query)
        if empty and state.empty_takes < 1:
            state.empty_takes += 1
            webhook.log("speech.failed", {"error": "nothing was recorded", "node": "voicemail"})
            webhook.speaker.say(webhook.response, engine.Say("record_again"))
            record_voicemail(webhook)
            return
        state.empty_takes = 0
        if not empty:
            await self._callbacks.book(webhook, topic=topic, announce=False)
            webhook.log(
                "voicemail.left",
                {"recording_url": recording, "duration": callback.RecordingDuration},
            )
            state.said += 1
            await self._transcription.submit(
                call_sid=state.call_sid,
                recording_url=recording,
                language=state.language,
                utterance=state.said,
            )
            webhook.speaker.say(webhook.response, engine.Say("voicemail_saved"))
        else:
            await self._callbacks.book(webhook, topic=topic)
        goodbye(webhook)
