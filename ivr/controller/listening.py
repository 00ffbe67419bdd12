"""Understanding the caller: what they said, how they behave, how they feel before routing."""

from __future__ import annotations

import time

from ivr.calls.state import CallState
from ivr.controller.ports import UnderstandingPort
from ivr.controller.webhook import Webhook
from ivr.ids import Topic
from ivr.nlu.models import Behaviour, VoiceCues


class Listener:
    """Reads the caller's words with the understanding port and keeps the reading on the call."""

    def __init__(self, *, understanding: UnderstandingPort) -> None:
        self.understanding = understanding

    @property
    def min_confidence(self) -> float:
        """Below this topic confidence a reading names no topic."""
        return self.understanding.min_confidence

    def take_reading(self, webhook: Webhook, text: str, voice: VoiceCues | None) -> None:
        """Understand what the caller said: a confident topic, and their emotion, on the call."""
        state = webhook.state
        state.utterances.append(text)
        if voice is not None:
            state.voice = voice.model_dump()
        reading = self.understanding.read(
            text, state.language, voice=voice, behaviour=behaviour(state, now=webhook.now)
        )
        if reading.topic_confidence >= self.understanding.min_confidence:
            state.topic, state.topic_confidence = reading.topic, reading.topic_confidence
        state.emotion, state.emotion_intensity = reading.emotion, reading.emotion_intensity
        webhook.log("nlu.read", reading.model_dump(mode="json"))

    def refresh_emotion(self, webhook: Webhook) -> None:
        """Fuse everything known about the caller into their emotion, before routing."""
        state = webhook.state
        voice = VoiceCues.model_validate(state.voice) if state.voice else None
        reading = self.understanding.emotion(
            " ".join(state.utterances[-3:]),
            state.language,
            voice=voice,
            behaviour=behaviour(state, now=webhook.now),
        )
        state.emotion, state.emotion_intensity = reading.emotion, reading.intensity
        webhook.speaker.calm = state.upset
        webhook.log(
            "nlu.read",
            {
                "topic": state.topic or Topic.GENERAL,
                "topic_confidence": state.topic_confidence,
                "emotion": reading.emotion,
                "emotion_intensity": reading.intensity,
                "cues": [cue.model_dump(mode="json") for cue in reading.cues],
            },
        )


def behaviour(state: CallState, *, now: float | None = None) -> Behaviour:
    """How the caller has behaved so far, for emotion detection (`now` on the service's
    clock, as `queue_entered_at` is)."""
    now = time.time() if now is None else now
    waited = (now - state.queue_entered_at) if state.queue_entered_at else 0.0
    return Behaviour(
        zero_presses=state.zero_presses,
        no_match_count=state.no_match_count,
        no_input_count=state.no_input_count,
        hold_seconds=max(0.0, waited),
        repeat_caller_24h=state.repeat_caller,
        open_complaint=state.open_complaint,
    )
