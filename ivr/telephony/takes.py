"""Whether a caller's recording holds anything to keep: shared by the flow's record
nodes and the queue's voicemail, so neither calls an empty take "saved"."""

from __future__ import annotations

from collections.abc import Mapping

MIN_RECORDING_SECONDS = 1.0  # shorter is a breath or the beep, not a message


def is_empty(params: Mapping[str, str]) -> bool:
    """No recording, no words heard by the carrier, or less than a second of sound."""
    if params.get("empty"):
        return True
    if params.get("via") == "speech":
        return not params.get("SpeechResult", "").strip()
    if not params.get("RecordingUrl"):
        return True
    try:
        return float(params.get("RecordingDuration") or "1") < MIN_RECORDING_SECONDS
    except ValueError:
        return False
