"""What the flow step hands back (actions, a turn) and what it is handed (caller input).

Plain values: the call controller performs the actions' I/O and renders the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.flows.model import LanguageNode, MenuNode, Node, SurveyNode
from ivr.ids import Topic
from ivr.nlu.models import Reading

MAX_NODES_PER_TURN = 64
SPEECH_MIN_CONFIDENCE = 0.3  # below this the carrier's recogniser was guessing
MASK = "•"


# ---- actions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Say:
    """Play a prompt in the call's language (or in every language)."""

    prompt: str
    params: Mapping[str, Any] = field(default_factory=dict)
    all_languages: bool = False


@dataclass(frozen=True)
class Gather:
    """Collect keys and/or speech for input node `node` of `flow`, playing `prompts`."""

    flow: str
    node: str
    input: str
    num_digits: int
    timeout: int
    hints: tuple[str, ...]
    prompts: tuple[Say, ...]


@dataclass(frozen=True)
class Record:
    """Record the caller for record node `node` of `flow`."""

    flow: str
    node: str
    max_length: int
    timeout: int


@dataclass(frozen=True)
class Route:
    """Hand the caller to routing."""

    topic: Topic
    queue: str | None = None


@dataclass(frozen=True)
class Transfer:
    """Dial a number or SIP address outside the hotline."""

    number: str


@dataclass(frozen=True)
class BookCallback:
    """Book a callback to the caller, then resume the flow at the call's node."""

    topic: Topic


@dataclass(frozen=True)
class Hangup:
    """End the call."""


Action = Say | Gather | Record | Route | Transfer | BookCallback | Hangup


@dataclass
class Turn:
    """What one webhook answers: the actions in order and the events to log."""

    actions: list[Action] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def last(self) -> Action | None:
        """The final action, which decides what the webhook does next."""
        return self.actions[-1] if self.actions else None


# ---- inputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPresses:
    """Keys pressed at a Gather (not `ivr.keys.Keys`, the Redis keys)."""

    digits: str


@dataclass(frozen=True)
class Speech:
    """Speech heard at a Gather, with understanding's reading of it."""

    text: str
    confidence: float
    reading: Reading | None
    min_topic_confidence: float = 0.5


@dataclass(frozen=True)
class Silence:
    """The Gather timed out with nothing said or pressed."""


CallerInput = KeyPresses | Speech | Silence


# ---- shared by the walk and the answers ---------------------------------------------------


def prompt_of(node: Node, turn: Turn) -> None:
    """Play the node's own prompt, when it has one."""
    if node.prompt:
        turn.actions.append(Say(node.prompt))


def gather_for(flow: str, node_id: str, node: Node) -> Gather:
    """The Gather of an input node (menu, language choice, survey)."""
    if isinstance(node, MenuNode):
        return Gather(
            flow,
            node_id,
            node.input,
            node.num_digits,
            node.timeout,
            tuple(node.hints),
            (Say(node.prompt),),
        )
    if isinstance(node, LanguageNode):
        return Gather(
            flow, node_id, "dtmf", 1, node.timeout, (), (Say(node.prompt, all_languages=True),)
        )
    if isinstance(node, SurveyNode):
        return Gather(flow, node_id, "dtmf", 1, node.timeout, (), (Say(node.prompt),))
    raise AssertionError(f"{node_id} is not an input node")  # pragma: no cover
