"""Which status callbacks end a call, and in what order they were sent."""

from __future__ import annotations

import email.utils

# Twilio's final call statuses; the others (queued, initiated, ringing, in-progress)
# say the call goes on.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def status_order(sequence: str, timestamp: str) -> tuple[int, float]:
    """Where a status callback stands among the call's: its SequenceNumber, then Timestamp."""
    try:
        number = int(sequence)
    except ValueError:
        number = -1
    try:
        stamp = email.utils.parsedate_to_datetime(timestamp).timestamp()
    except (TypeError, ValueError, IndexError):
        stamp = 0.0
    return number, stamp
