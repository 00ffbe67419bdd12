"""Agents, routing requests and decisions: the seam between the flow and routing."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from ivr.ids import AgentState, Emotion, Language, Topic

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class Agent(BaseModel):
    """A person who takes calls."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    endpoint: str = Field(description="'client', a +E164 number or a sip: URI")
    languages: list[Language] = Field(min_length=1)
    skills: dict[Topic, int] = Field(default_factory=dict)
    traits: list[str] = Field(default_factory=list)
    capacity: int = Field(default=1, ge=1, le=10)

    @field_validator("endpoint")
    @classmethod
    def _endpoint_kind(cls, value: str) -> str:
        if value == "client" or _E164.match(value) or value.startswith("sip:"):
            return value
        raise ValueError("endpoint must be 'client', a +E164 number or a sip: URI")

    @field_validator("skills")
    @classmethod
    def _levels_in_range(cls, value: dict[Topic, int]) -> dict[Topic, int]:
        for topic, level in value.items():
            if not 1 <= level <= 5:
                raise ValueError(f"skill level for {topic} must be 1..5, got {level}")
        return value


class AgentStatus(BaseModel):
    """An agent's state and when it last changed (epoch seconds)."""

    agent_id: str
    state: AgentState
    since: float
    calls_today: int = 0
    talk_seconds_today: float = 0.0
    version: int = Field(default=0, description="grows with every change; send it back to guard")
    call_sid: str | None = Field(default=None, description="the call an agent is busy with")


class RoutingRequest(BaseModel):
    """A caller who needs an agent."""

    call_sid: str
    caller: str
    language: Language
    topic: Topic = Topic.GENERAL
    emotion: Emotion = Emotion.NEUTRAL
    emotion_intensity: float = 0.0
    last_agent_id: str | None = Field(default=None, description="for sticky routing")
    open_ticket: bool = False
    entered_at: float = Field(description="epoch seconds the caller started waiting")
    utterances: int = Field(
        default=0, description="how many of the caller's utterances had been read by then"
    )


class Candidate(BaseModel):
    """One agent considered for a call, with its score and the reasons."""

    agent_id: str
    score: float
    reasons: list[str] = Field(default_factory=list)


class DecisionKind(StrEnum):
    """What routing decided for a caller."""

    CONNECT = "connect"  # dial this agent now
    QUEUE = "queue"  # wait; position and expected wait are given
    CALLBACK = "callback"  # offer a callback (waited long enough, or nobody can ever take it)


class RoutingDecision(BaseModel):
    """Routing's answer, with everything needed to explain it later."""

    call_sid: str
    kind: DecisionKind
    strategy: str
    agent: Agent | None = None
    queue: str | None = None
    priority: int = 0
    position: int | None = None
    expected_wait_seconds: float | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    reason: str = ""
    offer_callback: bool = Field(
        default=False, description="waited past the queue's callback threshold: offer 'press 1'"
    )


class WaitingCaller(BaseModel):
    """One caller waiting in a queue."""

    call_sid: str
    caller: str
    position: int
    priority: int
    waited_seconds: float
    emotion: Emotion
    emotion_intensity: float = 0.0
    upset: bool = Field(default=False, description="read as upset (ivr.ids.is_upset)")
    offered_callback: bool = Field(
        default=False, description="waited past the queue's callback threshold: offered 'press 1'"
    )


class QueueStatus(BaseModel):
    """A queue as a supervisor sees it."""

    queue: str
    waiting: int
    available_agents: int
    on_duty_agents: int
    expected_wait_seconds: float
    longest_wait_seconds: float = 0.0
    offered_callback: int = Field(default=0, description="waiting callers offered a callback")
    upset: int = Field(default=0, description="waiting callers read as upset")
    callers: list[WaitingCaller] = Field(default_factory=list)


DialStatus = Literal["completed", "answered", "busy", "no-answer", "failed", "canceled"]


class AgentView(BaseModel):
    """An agent with its live status, as the API and CLI show it."""

    agent: Agent
    status: AgentStatus


class Callback(BaseModel):
    """A promise to call a customer back, assigned to an agent, due by a time."""

    id: str
    call_sid: str
    number: str
    language: Language
    topic: Topic
    emotion: Emotion
    due_at: float = Field(description="epoch seconds")
    agent_id: str | None = Field(default=None, description="None when nobody has the skill")
    created_at: float
    joined: bool = Field(
        default=False,
        description="this request joined a callback another call of the number had booked",
    )
