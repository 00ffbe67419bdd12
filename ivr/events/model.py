"""Call events: the append-only log every webhook step writes, and tickets are built from."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field

# The event types the flow engine emits; `data` keys are listed beside each.
EVENT_TYPES: dict[str, str] = {
    "call.started": "caller, called, direction",
    "language.chosen": "language",
    "menu.entered": "node, flow",
    "menu.input": "node, digits, speech, confidence, secure",
    "menu.no_input": "node, count",
    "menu.no_match": "node, count, input",
    "speech.recorded": "node, recording_url, duration",
    # the carrier's words carry text, confidence, engine and node; our worker's the rest,
    # utterance, reading and confident only when it read them
    "speech.transcribed": "text, confidence, engine, real_time_factor, duration, cues, "
    "utterance, reading, confident",
    "speech.failed": "error",
    # our worker found no speech in a recording (no words are made up for it)
    "speech.silent": "recording_url, duration, speech_seconds, level_dbfs, utterance",
    # a describe step's words heard with low confidence, read back to the caller: how it
    # ended (confirmed, asked_again, assumed after no answer, unconfirmed second take)
    "speech.confirmed": "node, utterance, confidence, result, confirmed, asked, by, input",
    "nlu.read": "text, topic, topic_confidence, runner_up, emotion, emotion_intensity, cues",
    "routing.decided": "the RoutingDecision, explained",
    "queue.joined": "queue, position, priority",
    "queue.left": "queue, reason, wait_seconds",
    "agent.dialed": "agent_id, endpoint",
    "agent.result": "agent_id, dial_status, duration",
    "callback.requested": "number, language, topic, emotion, due_at, agent_id, callback_id",
    # the caller's number already had a callback pending: this call joined it (no new row)
    "callback.joined": "number, language, topic, emotion, due_at, agent_id, callback_id",
    # checked: the recording was heard to hold speech (False: kept before it could be)
    "voicemail.left": "recording_url, duration, checked",
    "survey.answered": "csat",
    "self_service.completed": "node",
    "call.ended": "status, duration",
    # written by the agent's console (ivr.web.console.wrapup), not by a webhook
    "agent.checklist": "step, done, agent_id",
    "agent.wrap_up": "agent_id, bank_at_fault, status, checklist, disposition",
    "error": "where, message",
}


class CallEvent(BaseModel):
    """One step of one call; `id` makes writes idempotent under carrier retries."""

    id: str = Field(description="derived from the call and the step; equal for a retried webhook")
    call_sid: str
    at: float = Field(description="epoch seconds")
    type: str
    data: dict[str, Any] = Field(default_factory=dict)


def event_id(call_sid: str, step: str, index: int = 0) -> str:
    """A stable id for the `index`-th event written while handling webhook `step`."""
    digest = hashlib.sha1(f"{call_sid}|{step}|{index}".encode()).hexdigest()[:20]
    return f"{call_sid}:{digest}"
