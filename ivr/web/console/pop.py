"""The screen pop: who is calling, what they want, how they feel, and why the call came to me.

Built the moment routing puts a call through to an agent (the `agent.dialed`
event), from the call's live state in Redis (what the caller said, the cues of
their latest utterances), the call's earlier events in the stream (routing's
reason) and the caller's history in the ticket store.
Everything a caller said is redacted before it leaves the service.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from ivr.calls.state import CallState
from ivr.events import CallEvent
from ivr.ids import Emotion, Topic
from ivr.security.redact import redact, redact_data
from ivr.tickets.views import CallbackView, CustomerHistory, CustomerSummary

URGENT_TOPICS = frozenset({Topic.LOST_STOLEN_CARD, Topic.FRAUD_DISPUTE})
UPSET_INTENSITY = 0.4


class PastTicket(BaseModel):
    """One earlier ticket of the caller, as the pop lists it."""

    id: str
    created_at: float
    topic: str | None = None
    status: str
    agent_id: str | None = None
    disposition: str | None = None
    notes: str | None = None


class History(BaseModel):
    """The caller's history with the bank."""

    previous: list[PastTicket] = Field(default_factory=list)
    open_complaint: bool = False
    repeat_caller: bool = False
    last_agent: str | None = None
    pending_callback_due: float | None = None
    calls: int = 0


class Pop(BaseModel):
    """What the agent sees when the call rings."""

    call_sid: str
    ticket_id: str
    caller: str
    language: str
    topic: str | None
    topic_confidence: float
    emotion: str
    emotion_intensity: float
    cues: list[Any] = Field(default_factory=list)
    transcript: list[str] = Field(default_factory=list)
    menu_path: list[str] = Field(default_factory=list)
    waiting_since: float = Field(description="when the caller's wait began: the call's start")
    routed_at: float
    why: str = ""
    history: History = Field(default_factory=History)
    calm: bool = Field(description="an upset caller: show the four calming steps")
    urgent: bool = Field(description="lost card or fraud: the bank's urgent steps first")


def _reason(events: Iterable[CallEvent]) -> str:
    reason = ""
    for event in events:
        if event.type == "routing.decided":
            reason = str(event.data.get("reason") or "")
    return redact(reason)


def history_of(
    history: CustomerHistory | None,
    summary: CustomerSummary | None,
    callbacks: Iterable[CallbackView],
    *,
    this_ticket: str,
) -> History:
    """The caller's history, leaving out the ticket of the call ringing now."""
    previous = [
        PastTicket(
            id=t.id,
            created_at=t.created_at,
            topic=t.topic,
            status=t.status,
            agent_id=t.agent_id,
            disposition=t.disposition,
            notes=t.notes,
        )
        for t in (history.tickets if history else [])
        if t.id != this_ticket
    ]
    previous.sort(key=lambda t: t.created_at, reverse=True)
    due = [c.due_at for c in callbacks]
    return History(
        previous=previous[:10],
        open_complaint=bool(summary and summary.open_complaint)
        or any(t.topic == Topic.COMPLAINT and t.status != "resolved" for t in previous),
        repeat_caller=bool(summary and summary.repeat_caller),
        last_agent=(summary.last_agent_id if summary else None)
        or next((t.agent_id for t in previous if t.agent_id), None),
        pending_callback_due=min(due) if due else None,
        calls=history.calls if history else len(previous),
    )


def screen_pop(
    state: CallState,
    *,
    ticket_id: str,
    routed_at: float,
    events: Iterable[CallEvent],
    history: History,
) -> Pop:
    """The pop for `state`, routed at `routed_at`, given the call's earlier events."""
    reason = _reason(events)
    cues = redact_data([cue.model_dump(mode="json") for cue in state.recent_cues()])
    upset = state.emotion != Emotion.NEUTRAL and state.emotion_intensity >= UPSET_INTENSITY
    return Pop(
        call_sid=state.call_sid,
        ticket_id=ticket_id,
        caller=state.caller,
        language=state.language.value,
        topic=state.topic.value if state.topic else None,
        topic_confidence=round(state.topic_confidence, 2),
        emotion=state.emotion.value,
        emotion_intensity=round(state.emotion_intensity, 2),
        cues=cues,
        transcript=[redact(u.text) for u in state.heard],
        menu_path=list(state.path),
        waiting_since=state.started_at or state.queue_entered_at or routed_at,
        routed_at=routed_at,
        why=reason,
        history=history.model_copy(
            update={
                "open_complaint": history.open_complaint or state.open_complaint,
                "repeat_caller": history.repeat_caller or state.repeat_caller,
                "last_agent": history.last_agent or state.last_agent_id,
            }
        ),
        calm=upset or history.open_complaint or state.open_complaint,
        urgent=state.topic in URGENT_TOPICS,
    )
