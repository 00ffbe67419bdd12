"""The flow step: plain functions from (flow, call state, caller input) to actions.

No I/O happens here. The webhook layer (ivr.telephony) reads the caller's
input, asks understanding for a reading of any speech, calls `start`,
`answer` or `resume`, performs the returned actions' I/O (routing, booking a
callback, transcription) and renders the rest as TwiML.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ivr.calls.state import CallState, Frame
from ivr.flows.actions import (
    MASK,
    MAX_NODES_PER_TURN,
    SPEECH_MIN_CONFIDENCE,
    Action,
    BookCallback,
    CallerInput,
    Gather,
    Hangup,
    KeyPresses,
    Record,
    Route,
    Say,
    Silence,
    Speech,
    Transfer,
    Turn,
    gather_for,
    prompt_of,
)
from ivr.flows.hours import is_open
from ivr.flows.menu import answer_menu, understood_prompt
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

__all__ = [
    "MASK",
    "MAX_NODES_PER_TURN",
    "SPEECH_MIN_CONFIDENCE",
    "Action",
    "BookCallback",
    "CallerInput",
    "Gather",
    "Hangup",
    "KeyPresses",
    "Record",
    "Route",
    "Say",
    "Silence",
    "Speech",
    "Transfer",
    "Turn",
    "answer",
    "gather_again",
    "resume",
    "start",
    "understood_prompt",
]


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
        answer_menu(flows, node, state, given, turn, now=now)
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
    # The answer either ended the turn (a replayed menu, a route) or moved to a new node,
    # perhaps after saying something (what we understood).
    if not isinstance(turn.last, Gather | Route | Hangup):
        _run(flows, state, turn, now=now)
    return turn


def gather_again(flows: Mapping[str, Flow], state: CallState) -> Turn:
    """Play the current input node again (e.g. '*')."""
    turn = Turn()
    turn.actions.append(gather_for(state.flow, state.node, flows[state.flow].node(state.node)))
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
            prompt_of(node, turn)
            state.flow = node.flow
            return flows[node.flow].start
        case ReturnNode():
            prompt_of(node, turn)
            if not state.stack:
                turn.actions.append(Hangup())
                return None
            frame = state.stack.pop()
            state.flow = frame.flow
            return frame.next
        case MenuNode() | LanguageNode() | SurveyNode():
            turn.actions.append(gather_for(state.flow, state.node, node))
            return None
        case RecordNode():
            # A fresh take: a confirmation asked at an earlier visit is forgotten.
            state.retakes, state.unconfirmed = 0, None
            turn.actions.append(Say(node.prompt))
            turn.actions.append(Record(state.flow, state.node, node.max_length, node.timeout))
            return None
        case RouteNode():
            prompt_of(node, turn)
            turn.actions.append(
                Route(topic=node.topic or state.topic or Topic.GENERAL, queue=node.queue)
            )
            return None
        case TransferNode():
            prompt_of(node, turn)
            turn.actions.append(Transfer(node.number))
            return None
        case CallbackNode():
            prompt_of(node, turn)
            turn.actions.append(BookCallback(node.topic or state.topic or Topic.GENERAL))
            state.node = node.next
            return None
        case HangupNode():
            prompt_of(node, turn)
            turn.actions.append(Hangup())
            return None
    raise AssertionError(f"unhandled node type {type(node).__name__}")  # pragma: no cover


def _answer_language(node: LanguageNode, state: CallState, given: CallerInput, turn: Turn) -> None:
    chosen = node.options.get(given.digits) if isinstance(given, KeyPresses) else None
    if chosen is None:
        state.attempts += 1
        if state.attempts < node.retries:
            turn.actions.append(
                Say("no_input" if isinstance(given, Silence) else "no_match", all_languages=True)
            )
            turn.actions.append(gather_for(state.flow, state.node, node))
            return
        chosen = node.default
    state.language = chosen
    state.language_chosen = True
    turn.events.append(("language.chosen", {"language": str(chosen)}))
    state.node = node.next
    state.attempts = 0


def _answer_survey(node: SurveyNode, state: CallState, given: CallerInput, turn: Turn) -> None:
    if isinstance(given, KeyPresses) and given.digits in {"1", "2", "3", "4", "5"}:
        turn.events.append(("survey.answered", {"csat": int(given.digits)}))
        turn.actions.append(Say(node.thanks))
        turn.actions.append(Hangup())
        return
    state.attempts += 1
    if state.attempts < 2:
        turn.actions.append(Say("no_match" if isinstance(given, KeyPresses) else "no_input"))
        turn.actions.append(gather_for(state.flow, state.node, node))
        return
    turn.actions.append(Say("goodbye"))
    turn.actions.append(Hangup())
