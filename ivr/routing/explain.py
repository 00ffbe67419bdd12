"""Routing's decisions as a person reads them, and as the event log keeps them."""

from __future__ import annotations

from collections.abc import Sequence

from ivr.events import CallEvent, event_id
from ivr.routing.models import Candidate, RoutingDecision, RoutingRequest
from ivr.routing.records import Considered
from ivr.routing.scoring import ranking_reason


def describe_pool(pool: str) -> list[str]:
    """An agent pool in words: skill and level, language, trait."""
    parts = pool.split(":")
    if len(parts) < 3:
        return [pool]
    reasons = [f"{parts[0]} level {parts[2]}", f"speaks {parts[1]}"]
    if len(parts) == 5:
        reasons.append(f"trait {parts[4]}")
    return reasons


def candidates(considered: Sequence[Considered], strategy: str) -> list[Candidate]:
    """The agents considered, best first, each with the reasons in words."""
    ranked = sorted(considered, key=lambda c: c.score)
    return [
        Candidate(
            agent_id=c.agent_id,
            score=c.score,  # the number itself, for machines; the reasons say it in words
            reasons=[*describe_pool(c.pool), ranking_reason(strategy, rank, len(ranked))],
        )
        for rank, c in enumerate(ranked[:10], start=1)
    ]


def decided_event(
    decision: RoutingDecision, number: int, request: RoutingRequest, *, at: float
) -> CallEvent:
    """The `routing.decided` event of decision `number` (its id stable under retries).

    It names what the caller was routed as (topic, emotion, utterances read), so the
    ticket needs no other event to know it.
    """
    asked = {
        "topic": request.topic.value,
        "emotion": request.emotion.value,
        "emotion_intensity": request.emotion_intensity,
        "utterances": request.utterances,
        "decision": number,
    }
    return CallEvent(
        id=event_id(decision.call_sid, f"route:{number}"),
        call_sid=decision.call_sid,
        at=at,
        type="routing.decided",
        data={**decision.model_dump(mode="json"), **asked},
    )
