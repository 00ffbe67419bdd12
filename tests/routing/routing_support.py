"""Helpers for routing tests: a hand-moved clock, a small policy, agents and calls."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ivr.ids import Language, Topic
from ivr.routing.models import Agent, RoutingRequest
from ivr.routing.policy import Policy, parse_policy
from ivr.routing.router import Router

START = 1_800_000_000.0


class Clock:
    """A clock tests move by hand (no sleeping, no timing assertions)."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


def small_policy(**overrides: Any) -> Policy:
    """A policy for small rosters; `overrides` replace top-level entries."""
    data: dict[str, Any] = {
        "default_strategy": "balanced",
        "wrap_up_seconds": 20,
        "sticky_seconds": 60,
        "callback_after_seconds": 200,
        "max_wait_seconds": 600,
        "emotion_rules": [
            {
                "emotions": ["anxious"],
                "topics": ["lost_stolen_card", "fraud_dispute"],
                "priority": 100,
            },
            {
                "emotions": ["angry", "agitated"],
                "min_level": 4,
                "or_trait": "de_escalation",
                "priority_boost": 20,
            },
            {"emotions": ["sad"], "require_trait": "de_escalation", "relax_after_seconds": 120},
        ],
        "queues": {
            "card_services": {
                "skill": "card_services",
                "min_level": 3,
                "overflow": [{"after_seconds": 60, "min_level": 1}],
            },
            "lost_stolen_card": {"skill": "lost_stolen_card", "priority": 50},
        },
    }
    data.update(overrides)
    return parse_policy(data, source="test")


RouterFactory = Callable[..., Awaitable[Router]]


def agent(
    ident: str,
    skills: dict[str, int],
    *,
    languages: tuple[str, ...] = ("en-US",),
    traits: tuple[str, ...] = (),
) -> Agent:
    """A small agent for tests."""
    return Agent(
        id=ident,
        name=ident.title(),
        endpoint="client",
        languages=[Language(x) for x in languages],
        skills={Topic(k): v for k, v in skills.items()},
        traits=list(traits),
    )


def call(
    sid: str,
    clock: Clock,
    *,
    topic: str = "card_services",
    language: str = "en-US",
    emotion: str = "neutral",
    caller: str = "+15550001111",
    **extra: Any,
) -> RoutingRequest:
    """A routing request entering now."""
    return RoutingRequest.model_validate(
        {
            "call_sid": sid,
            "caller": caller,
            "language": language,
            "topic": topic,
            "emotion": emotion,
            "entered_at": clock.now,
            **extra,
        }
    )
