"""How each call event changes a call's ticket: plain functions over the row objects.

`apply_event` runs once per stored event (the store skips event ids it has
already seen), so projections need not be idempotent themselves; they are
written to be order-tolerant where they can, since batches may interleave.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ivr.events import CallEvent
from ivr.security.redact import event_data_at_rest
from ivr.tickets.models import Call, Callback, CallbackStatus, Outcome, Ticket, TicketStatus

ANSWERED_DIAL = frozenset({"completed", "answered"})
# A ticket keeps the first and the last steps of a long menu path or transcript with a
# count of those between: every event stays in the call's event log, and a caller who
# presses * for an hour does not make each of their events cost more than the last.
KEEP_FIRST = 25
KEEP_LAST = 25
# A reading this sure of its topic names the ticket's topic when nothing else has.
UNDERSTOOD_CONFIDENCE = 0.5
ABANDON_REASONS = frozenset({"abandoned", "hangup", "caller_hangup", "timeout"})


def clean_data(event: CallEvent) -> dict[str, Any]:
    """The event's data as it may be stored: secure digits masked, free text redacted."""
    return event_data_at_rest(event.type, event.data)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# What a caller's utterance was read as, kept beside its words on the ticket.
READING_FIELDS = ("topic", "topic_confidence", "emotion", "emotion_intensity")


def _reading_of(d: dict[str, Any]) -> dict[str, Any]:
    return {name: d[name] for name in READING_FIELDS if d.get(name) is not None}


def _add_transcript(
    ticket: Ticket,
    at: float,
    text: Any,
    source: str,
    node: Any = None,
    reading: dict[str, Any] | None = None,
) -> None:
    if not isinstance(text, str) or not text.strip():
        return
    entry = {"at": at, "source": source, "text": text, "node": node, **(reading or {})}
    ticket.transcripts = bounded(
        sorted([*(ticket.transcripts or []), entry], key=lambda e: e["at"]),
        lambda n: {"source": "summary", "text": f"[{n} more entries in the event log]"},
    )


def bounded(
    entries: list[dict[str, Any]], marker: Callable[[int], dict[str, Any]]
) -> list[dict[str, Any]]:
    """`entries` (by time) cut to the first and last ones and a marker counting the rest."""
    if len(entries) <= KEEP_FIRST + 1 + KEEP_LAST:
        return entries
    middle = entries[KEEP_FIRST:-KEEP_LAST]
    skipped = sum(int(e.get("skipped", 1)) for e in middle)
    summary = {"at": middle[-1]["at"], **marker(skipped), "skipped": skipped}
    return [*entries[:KEEP_FIRST], summary, *entries[-KEEP_LAST:]]


def _set_outcome(ticket: Ticket, outcome: Outcome) -> None:
    # An answered call stays answered even if a later step (survey hang-up) says otherwise.
    if ticket.outcome == Outcome.ANSWERED.value and outcome is Outcome.ABANDONED:
        return
    ticket.outcome = outcome.value


def _started(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    c.caller = t.caller = d.get("caller") or t.caller
    c.called = d.get("called") or c.called
    c.started_at = at


def _language(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    t.language = d.get("language") or t.language


def _menu(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    step = {"at": at, "node": d.get("node"), "flow": d.get("flow")}
    t.menu_path = bounded(
        sorted([*(t.menu_path or []), step], key=lambda s: s["at"]),
        lambda n: {"node": f"({n} more steps)", "flow": None},
    )


def _input(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    _add_transcript(t, at, d.get("speech"), "speech", d.get("node"), _reading_of(d))
    if d.get("digits"):
        _add_transcript(t, at, f"[keys] {d['digits']}", "dtmf", d.get("node"))
    _fill_reading(t, d)


def _fill_reading(t: Ticket, d: dict[str, Any]) -> None:
    """A topic and emotion for a ticket that has none yet (a call that never reached
    routing: a callback or a message after hours); routing's reading, when it comes, wins."""
    sure = (_num(d.get("topic_confidence")) or 1.0) >= UNDERSTOOD_CONFIDENCE
    if d.get("topic") and sure and t.topic in (None, "general"):
        t.topic = d["topic"]
        t.topic_confidence = _num(d.get("topic_confidence")) or t.topic_confidence
    if d.get("emotion") and t.emotion in (None, "neutral"):
        t.emotion = d["emotion"]
        t.emotion_intensity = _num(d.get("emotion_intensity")) or t.emotion_intensity


def _transcribed(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    _add_transcript(t, at, d.get("text"), "recording")


def _nlu(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    t.topic = d.get("topic") or t.topic
    t.topic_confidence = _num(d.get("topic_confidence"))
    t.emotion = d.get("emotion") or t.emotion
    t.emotion_intensity = _num(d.get("emotion_intensity"))
    cues = d.get("cues")
    if isinstance(cues, list):
        t.cues = cues
    text = d.get("text")
    if isinstance(text, str) and text.strip() and not _read_onto_words(t, text, d):
        _add_transcript(t, at, text, "nlu", None, _reading_of(d))


def _read_onto_words(t: Ticket, text: str, d: dict[str, Any]) -> bool:
    """Put a reading beside the latest unread entry of the same words (a recording's
    transcript is logged before it is read); False when there is none."""
    entries = list(t.transcripts or [])
    for i in range(len(entries) - 1, -1, -1):
        entry = entries[i]
        if entry.get("text") == text and entry.get("topic") is None:
            entries[i] = {**entry, **_reading_of(d)}
            t.transcripts = entries  # a new list, so the JSON column sees the change
            return True
    return False


def _routing(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    t.routing = d
    t.routing_explanation = d.get("reason") or d.get("explanation") or t.routing_explanation
    agent = d.get("agent")
    if isinstance(agent, dict) and agent.get("id"):
        t.agent_id = str(agent["id"])
    t.queue = d.get("queue") or t.queue


def _queue_joined(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    t.queue = d.get("queue") or t.queue
    t.queue_joined_at = at


def _queue_left(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    wait = _num(d.get("wait_seconds"))
    if wait is None and t.queue_joined_at is not None:
        wait = max(0.0, at - t.queue_joined_at)
    t.queue_seconds = wait
    if d.get("reason") in ABANDON_REASONS:
        _set_outcome(t, Outcome.ABANDONED)


def _dialed(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    t.agent_id = d.get("agent_id") or t.agent_id


def _dial_result(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    if d.get("dial_status") not in ANSWERED_DIAL:
        return
    t.agent_id = d.get("agent_id") or t.agent_id
    duration = _num(d.get("duration"))
    t.handle_seconds = duration
    c.answered_at = at - duration if duration is not None else c.answered_at
    if t.queue_seconds is None:
        t.queue_seconds = 0.0
    _set_outcome(t, Outcome.ANSWERED)


def _voicemail(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    _set_outcome(t, Outcome.VOICEMAIL)


def _survey(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    csat = d.get("csat")
    if isinstance(csat, int) and not isinstance(csat, bool) and 1 <= csat <= 5:
        t.csat = csat


def _self_service(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    if t.outcome is None:
        t.outcome = Outcome.SELF_SERVICE.value


def _joined(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    # Another call of this number booked the callback (its row is that call's); this ticket
    # waits on it too, and TicketStore.complete_callback resolves both.
    _set_outcome(t, Outcome.CALLBACK)
    t.callback_at = _num(d.get("due_at")) or at
    t.status = TicketStatus.PENDING.value
    _fill_reading(t, d)


def _ended(t: Ticket, c: Call, at: float, d: dict[str, Any]) -> None:
    c.ended_at = at
    c.duration = _num(d.get("duration"))
    c.final_status = d.get("status") or c.final_status
    if t.outcome is None:
        # Reaching routing and leaving without an agent is abandonment; a call
        # that never asked for an agent was served by the menu.
        asked = t.routing is not None or t.queue_joined_at is not None
        t.outcome = Outcome.ABANDONED.value if asked else Outcome.SELF_SERVICE.value
    if t.outcome == Outcome.ABANDONED.value and t.queue_seconds is None and t.queue_joined_at:
        t.queue_seconds = max(0.0, at - t.queue_joined_at)
    if t.outcome == Outcome.SELF_SERVICE.value and t.status == TicketStatus.OPEN.value:
        t.status = TicketStatus.RESOLVED.value


_HANDLERS: dict[str, Callable[[Ticket, Call, float, dict[str, Any]], None]] = {
    "call.started": _started,
    "language.chosen": _language,
    "menu.entered": _menu,
    "menu.input": _input,
    "speech.transcribed": _transcribed,
    "nlu.read": _nlu,
    "routing.decided": _routing,
    "queue.joined": _queue_joined,
    "queue.left": _queue_left,
    "agent.dialed": _dialed,
    "agent.result": _dial_result,
    "callback.joined": _joined,
    "voicemail.left": _voicemail,
    "survey.answered": _survey,
    "self_service.completed": _self_service,
    "call.ended": _ended,
}


def _callback(t: Ticket, event: CallEvent, d: dict[str, Any]) -> Callback:
    due = _num(d.get("due_at")) or event.at
    _set_outcome(t, Outcome.CALLBACK)
    _fill_reading(t, d)
    t.callback_at = due
    t.status = TicketStatus.PENDING.value
    # Routing's own id, when it gave one, so both sides name the same callback.
    ident = d.get("callback_id")
    return Callback(
        id=ident if isinstance(ident, str) and 0 < len(ident) <= 96 else event.id,
        ticket_id=t.id,
        number=d.get("number") or t.caller,
        language=d.get("language") or t.language,
        topic=d.get("topic") or t.topic,
        emotion=d.get("emotion") or t.emotion,
        agent_id=d.get("agent_id") or t.agent_id,
        due_at=due,
        status=CallbackStatus.DUE.value,
        created_at=event.at,
    )


def apply_event(
    ticket: Ticket, call: Call, event: CallEvent, data: dict[str, Any]
) -> list[Callback]:
    """Change `ticket` and `call` by one event (`data` already cleaned); return new callbacks."""
    ticket.updated_at = max(ticket.updated_at or 0.0, event.at)
    if event.type == "callback.requested":
        return [_callback(ticket, event, data)]
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(ticket, call, event.at, data)
    return []
