"""Every utterance reaches the ticket: redacted, in order, with the topic and emotion read
in it; a callback carries the words that led to it."""

from __future__ import annotations

from ivr.events import CallEvent, event_id
from ivr.tickets.models import ticket_id
from ivr.tickets.store import TicketStore

SID = "CA" + "u" * 32
T0 = 1_800_000_000.0


def _event(i: int, kind: str, data: dict[str, object], at: float) -> CallEvent:
    return CallEvent(id=event_id(SID, "s", i), call_sid=SID, at=at, type=kind, data=data)


def _after_hours_call() -> list[CallEvent]:
    """A Mandarin caller's words at a menu, a recorded message, then a callback."""
    said = "我的房贷还款被扣了两次，卡号4111111111111111，真的很难过"
    message = "please call me back about my loan"
    return [
        _event(0, "call.started", {"caller": "+8613800000001"}, T0),
        _event(1, "language.chosen", {"language": "zh-CN"}, T0 + 1),
        _event(
            2,
            "menu.input",
            {
                "node": "after_hours",
                "speech": said,
                "confidence": 0.9,
                "topic": "loans",
                "topic_confidence": 0.9,
                "emotion": "sad",
                "emotion_intensity": 0.84,
            },
            T0 + 5,
        ),
        _event(3, "menu.input", {"node": "offer", "digits": "2", "secure": False}, T0 + 9),
        _event(4, "speech.transcribed", {"text": message, "engine": "whisper"}, T0 + 30),
        _event(
            5,
            "nlu.read",
            {
                "text": message,
                "language": "en-US",
                "topic": "loans",
                "topic_confidence": 0.95,
                "emotion": "neutral",
                "emotion_intensity": 0.1,
            },
            T0 + 30,
        ),
        _event(
            6,
            "callback.requested",
            {"number": "+8613800000001", "topic": "loans", "emotion": "sad", "due_at": T0 + 3600},
            T0 + 31,
        ),
    ]


async def test_each_utterance_is_kept_in_order_redacted_with_its_reading(
    store: TicketStore,
) -> None:
    await store.persist(_after_hours_call())
    ticket = await store.get(ticket_id(SID))
    assert [(u.source, u.topic, u.emotion) for u in ticket.utterances] == [
        ("speech", "loans", "sad"),
        ("recording", "loans", "neutral"),
    ]
    assert "4111" not in ticket.utterances[0].text and "房贷" in ticket.utterances[0].text
    assert ticket.utterances[0].node == "after_hours"
    assert (ticket.topic, ticket.emotion, ticket.outcome) == ("loans", "sad", "callback")
    [callback] = [c for c in await store.callbacks(now=T0) if c.ticket_id == ticket.id]
    assert [u.text for u in callback.utterances] == [u.text for u in ticket.utterances]
