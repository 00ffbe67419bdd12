"""What the speech pipeline hands to the rest of the service.

`VoiceCues` is defined with the other inputs of understanding (ivr.nlu.models),
which speech sits above; it is named here too, where the seam has always had it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ivr.nlu.models import Reading, VoiceCues

__all__ = ["SpeechCheck", "Transcript", "TranscriptionOutcome", "VoiceCues"]


class Transcript(BaseModel):
    """What was said in one recording."""

    text: str
    confidence: float = Field(ge=0.0, le=1.0)
    engine: str
    duration_seconds: float = Field(ge=0.0)
    real_time_factor: float = Field(ge=0.0, description="processing time / audio duration")
    cues: VoiceCues | None = None


class SpeechCheck(BaseModel):
    """Whether one recording holds speech: known before its words, and all a caller who
    left a message waits for ("saved", or asked once more)."""

    call_sid: str
    recording_url: str
    utterance: int = 0  # the number the call gave the recording's words (its take)
    status: Literal["speech", "silent", "failed"]
    speech_seconds: float = Field(default=0.0, ge=0.0)
    duration_seconds: float = Field(default=0.0, ge=0.0)
    level_dbfs: float | None = None  # None: digital silence, or not measured
    error: str | None = None  # why the recording could not be checked ("failed")


class TranscriptionOutcome(BaseModel):
    """The end of one transcription job: a transcript, a recording without speech
    ("silent": no words are made up for it), or a clear error."""

    call_sid: str
    status: Literal["done", "silent", "failed"]
    transcript: Transcript | None = None
    error: str | None = None
    # The transcript read once, by the worker: the call controller keeps this reading
    # on the call instead of reading the words again.
    reading: Reading | None = None
