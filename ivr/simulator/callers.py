"""Who answers the carrier's questions: a script of steps, or a person at the console."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Protocol

from ivr.simulator import verbs
from ivr.simulator.script import (
    AgentAnswers,
    AgentBusy,
    AgentFailed,
    AgentNoAnswer,
    AgentStep,
    Audio,
    Hangup,
    Press,
    ScriptStep,
    Silence,
    Speak,
    Wait,
)

GATHER_STEPS = (Press, Speak, Silence, Hangup)
RECORD_STEPS = (Audio, Speak, Silence, Hangup, Press)
AGENT_STEPS = (AgentAnswers, AgentNoAnswer, AgentBusy, AgentFailed)


class CallerInput(Protocol):
    """The caller's side of the call; None means nothing happens (a timeout)."""

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        """Keys, speech, silence or a hang-up for this Gather."""
        ...

    async def at_record(self, record: verbs.Record) -> ScriptStep | None:
        """Audio, speech, a key, silence or a hang-up for this Record."""
        ...

    async def at_dial(self, dial: verbs.Dial) -> AgentStep | None:
        """How the dialled party answers; None leaves it to the carrier's default."""
        ...

    async def after_wait_round(self, round_number: int) -> bool:
        """Whether a queued caller hangs up after this wait-URL round."""
        ...

    def remaining(self) -> list[ScriptStep]:
        """Steps not used (empty for a person)."""
        ...


class ScriptedCaller:
    """Answers from a fixed list of steps, in order; a step that does not fit waits."""

    def __init__(self, steps: Sequence[ScriptStep]) -> None:
        self._steps: deque[ScriptStep] = deque(steps)
        self._waited = 0

    def _take(self, kinds: tuple[type, ...]) -> ScriptStep | None:
        if self._steps and isinstance(self._steps[0], kinds):
            return self._steps.popleft()
        return None

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        """The next Press/Speak/Silence/Hangup; anything else leaves the Gather to time out."""
        return self._take(GATHER_STEPS)

    async def at_record(self, record: verbs.Record) -> ScriptStep | None:
        """The next Audio/Speak/Silence/Hangup/Press."""
        return self._take(RECORD_STEPS)

    async def at_dial(self, dial: verbs.Dial) -> AgentStep | None:
        """The next Agent* step, if that is what comes next."""
        step = self._take(AGENT_STEPS)
        assert step is None or isinstance(step, AGENT_STEPS)
        return step

    async def after_wait_round(self, round_number: int) -> bool:
        """A Wait step holds on for its rounds; a Hangup step then hangs up."""
        if self._steps and isinstance(self._steps[0], Wait):
            self._waited += 1
            if self._waited < self._steps[0].rounds:
                return False
            self._steps.popleft()
            self._waited = 0
        return self._take((Hangup,)) is not None

    def remaining(self) -> list[ScriptStep]:
        """Steps no Gather, Record, Dial or queue used."""
        return list(self._steps)
