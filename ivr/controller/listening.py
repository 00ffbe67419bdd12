"""Understanding the caller: each utterance read once, and how they feel before routing.

Every utterance is read exactly once and kept on the call as an `Utterance`
(ivr.calls.state): speech at a menu and the carrier's recognition are read here;
a recording is read by the transcription worker, and its reading is taken from
the outcome. `Listener.hear` is the one writer of the `nlu.read` event. Before
routing, the caller's emotion is fused from the cues of their latest readings
and their behaviour so far: nothing is read again.
"""

from __future__ import annotations

import time

from ivr.calls.state import CallState, Utterance, UtteranceSource
from ivr.controller.ports import UnderstandingPort
from ivr.controller.webhook import Webhook
from ivr.nlu.emotion import behaviour_cues, fuse
from ivr.nlu.models import Behaviour, Reading, VoiceCues


class Listener:
    """Reads what the caller says, once per utterance, and keeps it on the call."""

    def __init__(self, *, understanding: UnderstandingPort) -> None:
        self.understanding = understanding

    @property
    def min_confidence(self) -> float:
        """Below this topic confidence a reading names no topic."""
        return self.understanding.min_confidence

    def read(self, webhook: Webhook, text: str, *, voice: VoiceCues | None = None) -> Reading:
        """A reading of `text`, not yet kept: for words held until the caller confirms them,
        then handed to `hear` (so they are still read once)."""
        state = webhook.state
        return self.understanding.read(
            text, state.language, voice=voice, behaviour=behaviour(state, now=webhook.now)
        )

    def hear(
        self,
        webhook: Webhook,
        text: str,
        *,
        source: UtteranceSource,
        node: str | None = None,
        voice: VoiceCues | None = None,
        reading: Reading | None = None,
        number: int | None = None,
    ) -> Utterance:
        """Read `text` (unless the worker already did: `reading`), keep it, log `nlu.read`.

        A confident topic and the emotion become the call's, except for speech at a
        menu: the flow decides what those words choose, and its `menu.input` event
        carries their reading. `number` is the one a recording was given when it was
        sent for transcription.
        """
        state = webhook.state
        if reading is None:
            reading = self.read(webhook, text, voice=voice)
        if number is None:
            state.said += 1
            number = state.said
        utterance = Utterance(
            number=number, text=text, source=source, node=node, reading=reading, voice=voice
        )
        state.heard.append(utterance)
        confident = reading.topic_confidence >= self.understanding.min_confidence
        if source == "menu":
            return utterance  # the flow decides; its `menu.input` event carries this reading
        if confident:
            state.topic, state.topic_confidence = reading.topic, reading.topic_confidence
        state.emotion, state.emotion_intensity = reading.emotion, reading.emotion_intensity
        webhook.log(
            "nlu.read",
            {
                **reading.model_dump(mode="json"),
                "utterance": number,
                "source": source,
                "confident": confident,
            },
        )
        return utterance

    def settle_emotion(self, webhook: Webhook) -> None:
        """The caller's emotion before routing: their latest readings' cues
        (`CallState.recent_cues`) and their behaviour so far."""
        state = webhook.state
        feeling = fuse([*state.recent_cues(), *behaviour_cues(behaviour(state, now=webhook.now))])
        state.emotion, state.emotion_intensity = feeling.emotion, feeling.intensity
        webhook.speaker.calm = state.upset


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
