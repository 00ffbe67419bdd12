"""What the speech pipeline hands to the rest of the service."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class VoiceCues(BaseModel):
    """How the caller sounded: measured on the prepared audio."""

    loudness_dbfs: float = Field(description="mean loudness of speech, dBFS")
    peak_dbfs: float
    loudness_variance: float = Field(description="variance of per-frame dBFS over speech")
    pitch_hz: float | None = Field(default=None, description="median F0 of voiced frames")
    pitch_variance: float | None = None
    speech_rate: float = Field(description="syllable-like energy peaks per second of speech")
    silence_share: float = Field(ge=0.0, le=1.0)
    duration_seconds: float = Field(ge=0.0)


class Transcript(BaseModel):
    """What was said in one recording."""

    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    engine: str
    duration_seconds: float = Field(ge=0.0)
    real_time_factor: float = Field(ge=0.0, description="processing time / audio duration")
    cues: VoiceCues | None = None


class TranscriptionOutcome(BaseModel):
    """The end of one transcription job: a transcript, or a clear error."""

    call_sid: str
    status: Literal["done", "failed"]
    transcript: Transcript | None = None
    error: str | None = None
