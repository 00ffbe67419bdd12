"""A flow is a graph of nodes an admin writes in `flows/*.yaml`.

Every node has an id (its key under `nodes:`) and a `type`. Targets name other
nodes of the same flow. The engine (ivr.flows.engine) walks it; the validator
(ivr.flows.validate) checks the graph; the loader keeps each node's line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ivr.ids import Language, Topic

DIGITS = frozenset("0123456789*#")
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A describe step's default `confirm_below`: ivr.speech.gather.CONFIRM_BELOW, which flows
# (beside speech, not above it) may not import; a test keeps the two equal.
CONFIRM_BELOW = 0.5


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str | None = Field(default=None, description="prompt id played on entry")


class SayNode(_Node):
    """Play a prompt, then go on."""

    type: Literal["say"]
    prompt: str
    next: str


class MenuNode(_Node):
    """Gather keys and/or speech; a digit or a spoken topic picks the next node."""

    type: Literal["menu"]
    prompt: str
    input: Literal["dtmf", "speech", "dtmf speech"] = "dtmf speech"
    options: dict[str, str] = Field(default_factory=dict, description="digits -> node")
    speech: dict[Topic, str] = Field(default_factory=dict, description="topic -> node")
    hints: list[str] = Field(default_factory=list, description="phrases to help recognition")
    num_digits: int = Field(default=1, ge=1, le=32)
    timeout: int = Field(default=5, ge=1, le=30, description="seconds of silence = no input")
    no_input: str = Field(default="no_input", description="prompt id")
    no_match: str = Field(default="no_match", description="prompt id")
    retries: int = Field(default=3, ge=1, le=10)
    on_fail: str | None = Field(
        default=None, description="node after the last retry; None routes to an agent"
    )
    secure: bool = Field(default=False, description="digits are redacted before storage")
    repeat_key: bool = Field(default=True, description="'*' plays the menu again")
    agent_key: bool = Field(default=True, description="'0' asks for an agent")
    store_as: str | None = Field(default=None, description="keep the digits under this name")
    next: str | None = Field(default=None, description="where any digits go when no option matches")
    unserved: str | None = Field(
        default=None,
        description=(
            "where a caller goes whose words name a topic no route open at this hour serves, "
            "after hearing what was understood (an offer: callback, message, ...); "
            "None asks again"
        ),
    )

    @field_validator("options")
    @classmethod
    def _keys_are_digits(cls, value: dict[str, str]) -> dict[str, str]:
        for key in value:
            if not key or any(ch not in DIGITS for ch in key):
                raise ValueError(f"option key {key!r} is not a key sequence (0-9, *, #)")
        return value


class LanguageNode(_Node):
    """Let the caller choose the language; sets the call's language."""

    type: Literal["language"]
    prompt: str
    options: dict[str, Language]
    next: str
    timeout: int = Field(default=5, ge=1, le=30)
    retries: int = Field(default=2, ge=1, le=10)
    default: Language = Language.EN_US


class HoursNode(_Node):
    """Branch on business hours: weekly opening times, holidays, a time zone."""

    type: Literal["hours"]
    timezone: str = "UTC"
    weekly: dict[str, list[str]] = Field(description="mon..sun -> ['08:00-20:00', ...]")
    holidays: list[dt.date] = Field(default_factory=list)
    open: str
    closed: str

    @field_validator("weekly")
    @classmethod
    def _weekly_shape(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, spans in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r}; use {', '.join(WEEKDAYS)}")
            for span in spans:
                if not _HOURS.match(span):
                    raise ValueError(f"{day}: {span!r} is not HH:MM-HH:MM")
        return value


class RecordNode(_Node):
    """Record the caller ("tell us in a few words"), transcribe it, then go on."""

    type: Literal["record"]
    prompt: str
    max_length: int = Field(default=30, ge=1, le=600, description="seconds")
    timeout: int = Field(default=3, ge=1, le=30, description="seconds of silence that end it")
    next: str
    purpose: Literal["describe", "voicemail"] = "describe"
    on_empty: str | None = Field(
        default=None,
        description=(
            "where a caller goes whose recording was empty twice (the first time they are "
            "asked once more); None goes on to `next`"
        ),
    )
    on_unsure: str | None = Field(
        default=None,
        description=(
            "a voicemail's: where a caller goes whose message could not be checked for "
            "speech in time (it is kept for an agent to listen to); None goes on to `next`"
        ),
    )
    confirm_below: float = Field(
        default=CONFIRM_BELOW,
        ge=0.0,
        le=1.0,
        description=(
            "a describe step's words heard with less confidence than this (0..1) are read "
            "back for the caller to confirm (1) or say again (2, once); 0 never asks, 1 always"
        ),
    )


class RouteNode(_Node):
    """Hand the caller to routing: an agent now, or the queue."""

    type: Literal["route"]
    topic: Topic | None = Field(default=None, description="None: the topic detected so far")
    queue: str | None = None


class TransferNode(_Node):
    """Transfer the call to a number or SIP address outside the hotline."""

    type: Literal["transfer"]
    number: str = Field(pattern=r"^(\+[1-9]\d{6,14}|sip:.+)$")


class SubflowNode(_Node):
    """Run another flow; when it reaches a `return` node, go on at `next`."""

    type: Literal["subflow"]
    flow: str
    next: str


class ReturnNode(_Node):
    """End a sub-flow and go back to the flow that called it."""

    type: Literal["return"]


class CallbackNode(_Node):
    """Book a callback to the caller's number, confirm it, then go on."""

    type: Literal["callback"]
    topic: Topic | None = None
    next: str


class SurveyNode(_Node):
    """Ask for satisfaction 1..5 after the agent leg; thank and hang up."""

    type: Literal["survey"]
    prompt: str
    thanks: str = "survey_thanks"
    timeout: int = Field(default=6, ge=1, le=30)


class HangupNode(_Node):
    """Say goodbye and end the call."""

    type: Literal["hangup"]


Node = Annotated[
    SayNode
    | MenuNode
    | LanguageNode
    | HoursNode
    | RecordNode
    | RouteNode
    | TransferNode
    | SubflowNode
    | ReturnNode
    | CallbackNode
    | SurveyNode
    | HangupNode,
    Field(discriminator="type"),
]

TERMINAL_TYPES = frozenset({"route", "transfer", "hangup", "return", "survey"})


class Flow(BaseModel):
    """One menu flow, as an admin wrote it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    description: str = ""
    start: str
    nodes: dict[str, Node] = Field(min_length=1)
    # Filled by the loader: node id -> line in the YAML file, for error messages.
    source: str | None = Field(default=None, exclude=True)
    lines: dict[str, int] = Field(default_factory=dict, exclude=True)
    # Also by the loader: "node.field[.key]" (e.g. "menu.options.1") -> line, for exact places.
    field_lines: dict[str, int] = Field(default_factory=dict, exclude=True)

    def node(self, node_id: str) -> Node:
        """The node named `node_id`; KeyError when the flow has none."""
        return self.nodes[node_id]

    @staticmethod
    def targets(node: Node) -> list[str]:
        """Every node id `node` can lead to within its flow."""
        found: list[str] = []
        for attr in ("next", "open", "closed", "on_fail", "unserved", "on_empty", "on_unsure"):
            value = getattr(node, attr, None)
            if isinstance(value, str):
                found.append(value)
        if isinstance(node, MenuNode):
            found.extend(node.options.values())
            found.extend(node.speech.values())
        return found
