"""The flow step: plain functions from (flow, call state, caller input) to actions.

No I/O happens here. The webhook layer (ivr.telephony) reads the caller's
input, asks understanding for a reading of any speech, calls `start`,
`answer` or `resume`, performs the returned actions' I/O (routing, booking a
callback, transcription) and renders the rest as TwiML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ivr.calls.state import CallState, Frame
from ivr.flows.hours import is_open
from ivr.flows.model import (
    CallbackNode,
    Flow,
    HangupNode,
    HoursNode,
    LanguageNode,
    MenuNode,
    Node,
    RecordNode,
    ReturnNode,
    RouteNode,
    SayNode,
    SubflowNode,
    SurveyNode,
    TransferNode,
)
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
class Keys:
    """Keys pressed at a Gather."""

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


CallerInput = Keys | Speech | Silence


# ---- entry points --------------------------------------------------------------------------


def start(flows: Mapping[str, Flow], state: CallState, *, now: dt.datetime) -> Turn:
    """Begin the call at the start of its flow."""
    flow = flows[state.flow]
    state.node = flow.start
    state.attempts = 0
    turn = Turn()
    _run(flows, state, turn, now=now)
    return turn


def resume(flows: Mapping[str, Flow], state: CallState, *, now: dt.datetime) -> Turn:
    """Go on from the call's current node (after a recording or a booked callback)."""
    turn = Turn()
    _run(flows, state, turn, now=now)
    return turn


def answer(
    flows: Mapping[str, Flow], state: CallState, given: CallerInput, *, now: dt.datetime
) -> Turn:
    """Handle the caller's answer at the current input node, then go on."""
    turn = Turn()
    node = flows[state.flow].node(state.node)
    before = state.node
    if isinstance(node, MenuNode):
        _answer_menu(node, state, given, turn)
    elif isinstance(node, LanguageNode):
        _answer_language(node, state, given, turn)
    elif isinstance(node, SurveyNode):
        _answer_survey(node, state, given, turn)
        return turn
    else:
        # Input for a node that takes none (a stale or replayed request): go on from here.
        turn.events.append(("error", {"where": "answer", "message": f"{before} takes no input"}))
        _run(flows, state, turn, now=now)
        return turn
    # The answer either ended the turn (a replayed menu, a route) or moved to a new node.
    if not turn.actions:
        _run(flows, state, turn, now=now)
    return turn


def gather_again(flows: Mapping[str, Flow], state: CallState) -> Turn:
    """Play the current input node again (e.g. '*')."""
    turn = Turn()
    turn.actions.append(_gather(state.flow, state.node, flows[state.flow].node(state.node)))
    return turn


# ---- the walk ------------------------------------------------------------------------------


def _run(flows: Mapping[str, Flow], state: CallState, turn: Turn, *, now: dt.datetime) -> None:
    """Walk from `state.node` through nodes that need no input, to one that does."""
    for _ in range(MAX_NODES_PER_TURN):
        flow = flows[state.flow]
        node = flow.node(state.node)
        state.path.append(f"{state.flow}/{state.node}")
        turn.events.append(("menu.entered", {"flow": state.flow, "node": state.node}))
        following = _step(flows, node, state, turn, now=now)
        if following is None:
            return
        state.node = following
        state.attempts = 0
    # A loop the validator missed: never keep the caller circling.
    turn.events.append(("error", {"where": "flow", "message": "too many nodes in one turn"}))
    turn.actions.append(Route(topic=state.topic or Topic.GENERAL))


def _step(
    flows: Mapping[str, Flow], node: Node, state: CallState, turn: Turn, *, now: dt.datetime
) -> str | None:
    """Perform one node; the next node id, or None when the turn ends here."""
    match node:
        case SayNode():
            turn.actions.append(Say(node.prompt))
            return node.next
        case HoursNode():
            return node.open if is_open(node, now) else node.closed
        case SubflowNode():
            state.stack.append(Frame(flow=state.flow, next=node.next))
            _prompt(node, turn)
            state.flow = node.flow
            return flows[node.flow].start
        case ReturnNode():
            _prompt(node, turn)
            if not state.stack:
                turn.actions.append(Hangup())
                return None
            frame = state.stack.pop()
            state.flow = frame.flow
            return frame.next
        case MenuNode() | LanguageNode() | SurveyNode():
            turn.actions.append(_gather(state.flow, state.node, node))
            return None
        case RecordNode():
            turn.actions.append(Say(node.prompt))
            turn.actions.append(Record(state.flow, state.node, node.max_length, node.timeout))
            return None
        case RouteNode():
            _prompt(node, turn)
            turn.actions.append(
                Route(topic=node.topic or state.topic or Topic.GENERAL, queue=node.queue)
            )
            return None
        case TransferNode():
            _prompt(node, turn)
            turn.actions.append(Transfer(node.number))
            return None
        case CallbackNode():
            _prompt(node, turn)
            turn.actions.append(BookCallback(node.topic or state.topic or Topic.GENERAL))
            state.node = node.next
            return None
        case HangupNode():
            _prompt(node, turn)
            turn.actions.append(Hangup())
            return None
    raise AssertionError(f"unhandled node type {type(node).__name__}")  # pragma: no cover


def _prompt(node: Node, turn: Turn) -> None:
    if node.prompt:
        turn.actions.append(Say(node.prompt))


def _gather(flow: str, node_id: str, node: Node) -> Gather:
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


# ---- answers -------------------------------------------------------------------------------


def _answer_menu(node: MenuNode, state: CallState, given: CallerInput, turn: Turn) -> None:
    match given:
        case Keys(digits=digits):
            _menu_keys(node, state, digits, turn)
        case Speech() if "speech" not in node.input:
            _retry(node, state, turn, "no_match", given.text)
        case Speech():
            _menu_speech(node, state, given, turn)
        case Silence():
            _retry(node, state, turn, "no_input", "")


def _menu_keys(node: MenuNode, state: CallState, digits: str, turn: Turn) -> None:
    shown = MASK * len(digits) if node.secure else digits
    turn.events.append(("menu.input", {"node": state.node, "digits": shown, "secure": node.secure}))
    if digits == "*" and node.repeat_key:
        turn.actions.append(_gather(state.flow, state.node, node))
        return
    if digits == "0" and node.agent_key:
        state.zero_presses += 1
        turn.actions.append(Route(topic=state.topic or Topic.GENERAL))
        return
    target = node.options.get(digits) or node.next
    if target is None:
        _retry(node, state, turn, "no_match", shown)
        return
    if node.store_as:
        state.values[node.store_as] = shown
    state.node = target
    state.attempts = 0


def _menu_speech(node: MenuNode, state: CallState, speech: Speech, turn: Turn) -> None:
    reading = speech.reading
    turn.events.append(
        ("menu.input", {"node": state.node, "speech": speech.text, "confidence": speech.confidence})
    )
    if speech.confidence < SPEECH_MIN_CONFIDENCE or reading is None or not speech.text.strip():
        _retry(node, state, turn, "didnt_catch", speech.text)
        return
    state.utterances.append(speech.text)
    if reading.topic_confidence >= speech.min_topic_confidence and reading.topic in node.speech:
        state.topic = reading.topic
        state.topic_confidence = reading.topic_confidence
        state.node = node.speech[reading.topic]
        state.attempts = 0
        return
    prompt = (
        "clarify_topic" if reading.topic_confidence < speech.min_topic_confidence else "no_match"
    )
    _retry(node, state, turn, prompt, speech.text)


def _retry(node: MenuNode, state: CallState, turn: Turn, prompt: str, heard: str) -> None:
    """Count a failed try; replay the menu, or after the last try go where the flow says."""
    state.attempts += 1
    if prompt == "no_input":
        state.no_input_count += 1
        turn.events.append(("menu.no_input", {"node": state.node, "count": state.attempts}))
        prompt = node.no_input
    else:
        state.no_match_count += 1
        turn.events.append(
            ("menu.no_match", {"node": state.node, "count": state.attempts, "input": heard})
        )
        if prompt == "no_match":
            prompt = node.no_match
    if state.attempts >= node.retries:
        state.attempts = 0
        if node.on_fail:
            state.node = node.on_fail
        else:
            turn.actions.append(Route(topic=state.topic or Topic.GENERAL))
        return
    turn.actions.append(Say(prompt))
    turn.actions.append(_gather(state.flow, state.node, node))


def _answer_language(node: LanguageNode, state: CallState, given: CallerInput, turn: Turn) -> None:
    chosen = node.options.get(given.digits) if isinstance(given, Keys) else None
    if chosen is None:
        state.attempts += 1
        if state.attempts < node.retries:
            turn.actions.append(
                Say("no_input" if isinstance(given, Silence) else "no_match", all_languages=True)
            )
            turn.actions.append(_gather(state.flow, state.node, node))
            return
        chosen = node.default
    state.language = chosen
    state.language_chosen = True
    turn.events.append(("language.chosen", {"language": str(chosen)}))
    state.node = node.next
    state.attempts = 0


def _answer_survey(node: SurveyNode, state: CallState, given: CallerInput, turn: Turn) -> None:
    if isinstance(given, Keys) and given.digits in {"1", "2", "3", "4", "5"}:
        turn.events.append(("survey.answered", {"csat": int(given.digits)}))
        turn.actions.append(Say(node.thanks))
        turn.actions.append(Hangup())
        return
    state.attempts += 1
    if state.attempts < 2:
        turn.actions.append(Say("no_match" if isinstance(given, Keys) else "no_input"))
        turn.actions.append(_gather(state.flow, state.node, node))
        return
    turn.actions.append(Say("goodbye"))
    turn.actions.append(Hangup())
