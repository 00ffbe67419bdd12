"""The ports: what the call controller needs from the other parts, as structural types.

The concrete classes (ivr.nlu.Understanding, ivr.routing.router.Router, the
speech job queue, the ticket store's caller summary) satisfy these; the wiring
(ivr.controller.wiring) plugs them in. Each part of the controller takes only
the ports it uses: queueing the `WaitingCallers`, dialling the `AgentLegs`,
callbacks the `CallbackBooking`, and so on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ivr.calls.state import CallState
from ivr.flows.model import Flow
from ivr.ids import Language
from ivr.nlu.models import Behaviour, Reading
from ivr.prompts.model import PromptCatalog
from ivr.routing.models import DialStatus, RoutingDecision, RoutingRequest
from ivr.speech.models import SpeechCheck, TranscriptionOutcome, VoiceCues


class UnderstandingPort(Protocol):
    """Topic and emotion from what the caller said (ivr.nlu)."""

    min_confidence: float

    def read(
        self,
        text: str,
        language: Language | str,
        *,
        voice: VoiceCues | None = None,
        behaviour: Behaviour | None = None,
    ) -> Reading:
        """Topic and emotion of `text`."""
        ...


class CallbackPort(Protocol):
    """A booked callback, as routing reports it."""

    id: str
    due_at: float
    agent_id: str | None
    joined: bool  # an earlier call of the same number booked it; this one joined it


class CallerRouting(Protocol):
    """Choosing an agent for a caller (ivr.routing.router.Router)."""

    async def route(self, request: RoutingRequest) -> RoutingDecision:
        """An agent now, the queue, or a callback."""
        ...


class WaitingCallers(Protocol):
    """Callers held in a queue (ivr.routing.router.Router)."""

    async def poll(self, call_sid: str) -> RoutingDecision:
        """A waiting caller's news."""
        ...

    async def abandon(self, call_sid: str) -> None:
        """The caller hung up while waiting, or left the queue another way."""
        ...


class AgentLegs(Protocol):
    """How the calls to agents went (ivr.routing.router.Router)."""

    async def dial_result(
        self, call_sid: str, agent_id: str, status: DialStatus, *, talk_seconds: float = 0
    ) -> None:
        """How the agent leg went."""
        ...


class CallbackBooking(Protocol):
    """Promising a caller a call back (ivr.routing.router.Router)."""

    async def request_callback(
        self, request: RoutingRequest, *, due_at: float | None = None
    ) -> CallbackPort:
        """Book a callback."""
        ...


class RouterPort(CallerRouting, WaitingCallers, AgentLegs, CallbackBooking, Protocol):
    """All of routing the controller uses: what the wiring hands over."""


class TranscriptionPort(Protocol):
    """Our own speech pipeline (ivr.speech.jobs)."""

    async def submit(
        self, *, call_sid: str, recording_url: str, language: Language, utterance: int = 0
    ) -> None:
        """Queue a recording for transcription; `utterance` is the number its words get."""
        ...

    async def outcome(self, *, call_sid: str) -> TranscriptionOutcome | None:
        """The finished outcome, or None while pending."""
        ...

    async def speech_check(self, *, call_sid: str) -> SpeechCheck | None:
        """Whether the newest recording holds speech, or None while it is being checked."""
        ...

    def hears(self, language: Language) -> bool:
        """Whether the configured engine has a model for `language`."""
        ...


@dataclass(frozen=True)
class CallerHistory:
    """What the bank's records say about a caller, read from Redis."""

    repeat_caller_24h: bool = False
    open_complaint: bool = False
    last_agent_id: str | None = None


class HistoryPort(Protocol):
    """The caller summary the ticket persister keeps in Redis."""

    async def history(self, caller: str) -> CallerHistory:
        """The caller's history, empty for a first-time caller."""
        ...


class FlowSource(Protocol):
    """The flows and prompts in force (ivr.flows.catalog)."""

    @property
    def flows(self) -> Mapping[str, Flow]:
        """Every loaded flow by name."""
        ...

    @property
    def prompts(self) -> PromptCatalog:
        """The prompt catalogue."""
        ...

    async def flows_for(self, state: CallState) -> Mapping[str, Flow]:
        """The flows `state`'s call sees, each at the version it entered it with."""
        ...
