"""A ticket's topic from its call's readings: words the caller said we misheard name none."""

from __future__ import annotations

from typing import Any

from ivr.tickets.models import Ticket
from ivr.tickets.understood import settle


def _transcribed(utterance: int, topic: str, confident: bool) -> tuple[str, dict[str, Any]]:
    reading = {"topic": topic, "topic_confidence": 0.9 if confident else 0.2}
    reading |= {"emotion": "neutral", "emotion_intensity": 0.1}
    data = {"utterance": utterance, "reading": reading, "confident": confident}
    return "speech.transcribed", data


def test_words_the_caller_asked_to_say_again_give_the_ticket_no_topic() -> None:
    misheard = _transcribed(1, "lost_stolen_card", True)
    asked_again = ("speech.confirmed", {"utterance": 1, "result": "asked_again"})
    unsure = _transcribed(2, "general", False)
    ticket = Ticket()
    settle(ticket, [misheard, asked_again, unsure])
    assert ticket.topic is None
    assert ticket.emotion == "neutral"  # how they sounded still counts
    confirmed = ("speech.confirmed", {"utterance": 1, "result": "confirmed"})
    kept = Ticket()
    settle(kept, [misheard, confirmed, unsure])
    assert kept.topic == "lost_stolen_card"
