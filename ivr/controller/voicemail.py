"""A caller's voicemail: kept, transcribed like any recording, and answered by a callback."""

from __future__ import annotations

from ivr.controller.callbacks import Callbacks
from ivr.controller.connect import goodbye
from ivr.controller.ports import TranscriptionPort
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.ids import Topic
from ivr.telephony.schemas import HookQuery, RecordingResult


class Voicemail:
    """Takes the message a caller left after the longest wait."""

    def __init__(self, *, callbacks: Callbacks, transcription: TranscriptionPort) -> None:
        self._callbacks = callbacks
        self._transcription = transcription

    async def left(self, webhook: Webhook, callback: RecordingResult, query: HookQuery) -> None:
        """Keep the message (transcribed like any recording), book the callback, say goodbye."""
        state = webhook.state
        topic = state.topic or Topic.GENERAL
        recording = callback.RecordingUrl
        if recording and not query.empty:
            await self._callbacks.book(webhook, topic=topic, announce=False)
            webhook.log(
                "voicemail.left",
                {"recording_url": recording, "duration": callback.RecordingDuration},
            )
            await self._transcription.submit(
                call_sid=state.call_sid, recording_url=recording, language=state.language
            )
            webhook.speaker.say(webhook.response, engine.Say("voicemail_saved"))
        else:
            await self._callbacks.book(webhook, topic=topic)
        goodbye(webhook)
