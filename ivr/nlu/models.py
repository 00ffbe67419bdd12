"""What understanding hands to the flow engine and routing."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field

from ivr.ids import Emotion, Topic


class TopicPrediction(BaseModel):
    """The topic, a calibrated confidence and the runner-up."""

    topic: Topic
    confidence: float = Field(ge=0.0, le=1.0)
    runner_up: Topic | None = None
    runner_up_confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    source: str = Field(description="'keyword' (fast-path rule) or 'model'")


class EmotionCue(BaseModel):
    """One reason for the emotion reading, reported to agents and stored."""

    source: str = Field(description="'text', 'voice' or 'behaviour'")
    name: str = Field(description="e.g. 'profanity', 'loud', 'repeated_zero'")
    emotion: Emotion
    weight: float
    detail: str = ""


class EmotionReading(BaseModel):
    """The fused emotion with an intensity 0..1 and every cue behind it."""

    emotion: Emotion
    intensity: float = Field(ge=0.0, le=1.0)
    cues: list[EmotionCue] = Field(default_factory=list)


class VoiceCues(BaseModel):
    """How the caller sounded: measured on the prepared audio (ivr.speech.cues)."""

    loudness_dbfs: float = Field(description="mean loudness of speech, dBFS")
    peak_dbfs: float
    loudness_variance: float = Field(description="variance of per-frame dBFS over speech")
    pitch_hz: float | None = Field(default=None, description="median F0 of voiced frames")
    pitch_variance: float | None = None
    speech_rate: float = Field(description="syllable-like energy peaks per second of speech")
    silence_share: float = Field(ge=0.0, le=1.0)
    duration_seconds: float = Field(ge=0.0)


class Behaviour(BaseModel):
    """How the caller has behaved in the menu and in the bank's records."""

    zero_presses: int = 0
    no_match_count: int = 0
    no_input_count: int = 0
    hold_seconds: float = 0.0
    repeat_caller_24h: bool = False
    open_complaint: bool = False


class Reading(BaseModel):
    """Topic and emotion together: what `ivr nlu classify` prints."""

    text: str
    language: str
    topic: Topic
    topic_confidence: float
    runner_up: Topic | None = None
    topic_source: str = "model"
    emotion: Emotion
    emotion_intensity: float
    cues: list[EmotionCue] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """A family of phrases that are one kind of cue for one emotion."""

    name: str
    emotion: Emotion
    weight: float
    english: tuple[str, ...]
    chinese: tuple[str, ...]
    # Cues that are already negative ("not happy") or idioms are not flipped by negation.
    negatable: bool = True
    # Other entries' matches inside this one's do not count ("i feel so stupid" is not anger).
    shadows: bool = False
