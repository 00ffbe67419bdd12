"""The carrier's own recognition (<Gather input="speech">): SpeechResult and Confidence.

Twilio posts `SpeechResult` and `Confidence` (a decimal string, sometimes
absent) to the gather action. Low confidence means the flow confirms or asks
again; these helpers keep that judgement in one place.
"""

from __future__ import annotations

from ivr.speech.models import Transcript

# Below this the flow should confirm what it heard ("Did you say ...?") or ask again.
CONFIRM_BELOW = 0.5


def parse_confidence(value: str | float | None) -> float:
    """The carrier's Confidence as 0..1; missing or malformed counts as 0."""
    try:
        confidence = float(value) if value is not None and value != "" else 0.0
    except (TypeError, ValueError):
        return 0.0
    return confidence if 0.0 <= confidence <= 1.0 else 0.0


def from_speech_result(
    speech_result: str | None, confidence: str | float | None
) -> Transcript | None:
    """A Transcript of the carrier's SpeechResult, or None when the caller said nothing."""
    text = " ".join((speech_result or "").split())
    if not text:
        return None
    return Transcript(
        text=text,
        confidence=parse_confidence(confidence),
        engine="carrier",
        duration_seconds=0.0,
        real_time_factor=0.0,
    )


def needs_confirmation(transcript: Transcript | None, *, below: float = CONFIRM_BELOW) -> bool:
    """Whether the flow should confirm or ask again before acting on `transcript`."""
    if transcript is None or not transcript.text.strip():
        return True
    return doubtful(transcript.confidence, below=below)


def doubtful(confidence: float | None, *, below: float = CONFIRM_BELOW) -> bool:
    """Whether words heard with `confidence` should be confirmed before acting on them.

    None (a recogniser that gave no confidence) is no evidence of doubt: the caller
    is not asked about every word a carrier forgot to score.
    """
    return confidence is not None and confidence < below
