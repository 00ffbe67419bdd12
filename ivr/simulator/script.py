"""What the simulated caller (and the far end of a `<Dial>`) does, step by step.

A script is a list of steps. Each Gather takes the next Press/Speak step, a Record the
next Audio/Speak step, a Dial the next Agent* step; a Silence step lets a Gather time
out, Wait keeps a queued caller waiting, Hangup ends the call where it stands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from ivr.errors import InvalidInputError

DTMF_KEYS = frozenset("0123456789*#")


@dataclass(frozen=True)
class Press:
    """The caller presses keys (0-9, *, #)."""

    digits: str

    def __post_init__(self) -> None:
        if not self.digits or not set(self.digits) <= DTMF_KEYS:
            raise InvalidInputError(
                f"press: {self.digits!r} is not keys 0-9, * or #", field="press"
            )


@dataclass(frozen=True)
class Speak:
    """The caller speaks; Twilio's recogniser hears `text` with this confidence."""

    text: str
    confidence: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise InvalidInputError("say: confidence must be between 0 and 1", field="confidence")


@dataclass(frozen=True)
class Audio:
    """The caller speaks into a `<Record>`; the recording is this audio file."""

    path: Path


@dataclass(frozen=True)
class Silence:
    """The caller says nothing: the Gather (or Record) times out."""


@dataclass(frozen=True)
class Wait:
    """A queued caller keeps waiting for this many more wait-URL rounds."""

    rounds: int = 1

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise InvalidInputError("wait: rounds must be at least 1", field="wait")


@dataclass(frozen=True)
class Hangup:
    """The caller hangs up at the current point (a Gather, a Record, a queue round)."""


@dataclass(frozen=True)
class AgentAnswers:
    """The party a `<Dial>` rings answers and talks for `seconds`."""

    seconds: float = 60.0


@dataclass(frozen=True)
class AgentNoAnswer:
    """The party a `<Dial>` rings does not pick up (Dial timeout)."""


@dataclass(frozen=True)
class AgentBusy:
    """The party a `<Dial>` rings is busy."""


@dataclass(frozen=True)
class AgentFailed:
    """The `<Dial>` cannot reach the party (bad number, unregistered client)."""


AgentStep = AgentAnswers | AgentNoAnswer | AgentBusy | AgentFailed
ScriptStep = Press | Speak | Audio | Silence | Wait | Hangup | AgentStep

AGENT_OUTCOMES: dict[str, AgentStep] = {
    "answer": AgentAnswers(),
    "answered": AgentAnswers(),
    "no-answer": AgentNoAnswer(),
    "busy": AgentBusy(),
    "failed": AgentFailed(),
}


def agent_outcome(name: str, *, seconds: float = 60.0) -> AgentStep:
    """The Dial far end named on the command line (answer, no-answer, busy, failed)."""
    if name in ("answer", "answered"):
        return AgentAnswers(seconds=seconds)
    try:
        return AGENT_OUTCOMES[name]
    except KeyError:
        choices = ", ".join(sorted(AGENT_OUTCOMES))
        raise InvalidInputError(f"agent: {name!r} is not one of {choices}", field="agent") from None


def _step_from_mapping(item: dict[str, object], *, base: Path) -> ScriptStep:
    """One script entry such as {press: "1"} or {say: "...", confidence: 0.8}."""
    if "press" in item:
        return Press(digits=str(item["press"]))
    if "say" in item:
        confidence = item.get("confidence", 0.9)
        if not isinstance(confidence, int | float):
            raise InvalidInputError("say: confidence must be a number", field="confidence")
        return Speak(text=str(item["say"]), confidence=float(confidence))
    if "audio" in item:
        path = Path(str(item["audio"]))
        return Audio(path=path if path.is_absolute() else base / path)
    if "silence" in item:
        return Silence()
    if "wait" in item:
        rounds = item["wait"]
        return Wait(rounds=rounds if isinstance(rounds, int) and rounds is not True else 1)
    if "hangup" in item:
        return Hangup()
    if "agent" in item:
        seconds = item.get("seconds", 60.0)
        if not isinstance(seconds, int | float):
            raise InvalidInputError("agent: seconds must be a number", field="seconds")
        return agent_outcome(str(item["agent"]), seconds=float(seconds))
    known = "press, say, audio, silence, wait, hangup, agent"
    raise InvalidInputError(f"unknown step {item!r}; a step is one of {known}")


def parse_steps(data: object, *, base: Path = Path()) -> list[ScriptStep]:
    """Steps from a decoded YAML/JSON list; relative audio paths are resolved against `base`."""
    if isinstance(data, dict) and "steps" in data:
        data = data["steps"]
    if not isinstance(data, list):
        raise InvalidInputError("a script is a list of steps", field="steps")
    steps: list[ScriptStep] = []
    for index, item in enumerate(data, start=1):
        if isinstance(item, str) and item in ("silence", "hangup", "wait"):
            item = {item: True}
        if not isinstance(item, dict):
            raise InvalidInputError(f"step {index}: {item!r} is not a mapping", field="steps")
        try:
            steps.append(_step_from_mapping(item, base=base))
        except InvalidInputError as exc:
            raise InvalidInputError(f"step {index}: {exc}", field=exc.field) from exc
    return steps


def load_script(path: Path) -> list[ScriptStep]:
    """Steps from a YAML or JSON file; InvalidInputError names the file and step."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"{path}: {exc.strerror}", field="script") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise InvalidInputError(f"{path}: not valid YAML/JSON: {exc}", field="script") from exc
    try:
        return parse_steps(data, base=path.parent)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{path}: {exc}", field=exc.field) from exc


def describe(step: ScriptStep) -> str:
    """A short human description of a step, for logs and the console."""
    match step:
        case Press(digits=digits):
            return f"press {digits}"
        case Speak(text=text, confidence=confidence):
            return f"say {text!r} (confidence {confidence:g})"
        case Audio(path=path):
            return f"audio {path}"
        case Wait(rounds=rounds):
            return f"wait {rounds} round(s)"
        case AgentAnswers(seconds=seconds):
            return f"agent answers for {seconds:g}s"
        case _:
            return type(step).__name__.lower()


def steps_text(steps: Sequence[ScriptStep]) -> str:
    """All steps, described, comma-separated."""
    return ", ".join(describe(step) for step in steps)
