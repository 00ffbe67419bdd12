"""What the speech pipeline hands to the rest of the service.

`VoiceCues` is defined with the other inputs of understanding (ivr.nlu.models),
which speech sits above; it is named here too, where the seam has always had it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ivr.nlu.models import Reading, VoiceCues

__all__ = ["Transcript", "TranscriptionOutcome", "VoiceCues"]


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
    # The transcript read once, by the worker: the call controller keeps this reading
    # on the call instead of reading the words again.
    reading: Reading | None = None
