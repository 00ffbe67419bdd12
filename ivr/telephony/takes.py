"""Whether a caller's recording holds anything to keep: shared by the flow's record
nodes and the queue's voicemail, so neither calls an empty take "saved"."""

from __future__ import annotations

from ivr.telephony.schemas import HookQuery, RecordingResult

MIN_RECORDING_SECONDS = 1.0  # shorter is a breath or the beep, not a message


def is_empty(callback: RecordingResult, query: HookQuery) -> bool:
    """No recording, no words heard by the carrier, or less than a second of sound."""
    if query.empty:
        return True
    if query.via == "speech":
        return not callback.SpeechResult.strip()
    if not callback.RecordingUrl:
        return True
    return callback.RecordingDuration < MIN_RECORDING_SECONDS
