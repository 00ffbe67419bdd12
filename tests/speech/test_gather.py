"""The carrier's SpeechResult and Confidence."""

from __future__ import annotations

import pytest

from ivr.speech.gather import from_speech_result, needs_confirmation, parse_confidence


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0.93", 0.93), (0.4, 0.4), ("", 0.0), (None, 0.0), ("high", 0.0), ("7", 0.0), ("-1", 0.0)],
)
def test_confidence_is_parsed_safely(raw: str | float | None, expected: float) -> None:
    assert parse_confidence(raw) == pytest.approx(expected)


def test_confident_speech_is_used_and_doubtful_speech_confirmed() -> None:
    sure = from_speech_result("  I lost my   card ", "0.91")
    assert sure is not None and sure.text == "I lost my card" and sure.engine == "carrier"
    assert not needs_confirmation(sure)
    doubtful = from_speech_result("I lost my cart", "0.31")
    assert needs_confirmation(doubtful)
    assert from_speech_result("   ", "0.9") is None
    assert needs_confirmation(None)


def test_a_recogniser_that_gives_no_confidence_is_no_reason_to_ask() -> None:
    from ivr.speech.gather import doubtful

    assert doubtful(0.31) and not doubtful(0.5) and not doubtful(None)
    assert doubtful(0.6, below=0.7) and not doubtful(0.2, below=0.0)
