"""A caller's answer at a menu: keys, or words understood even when the menu lists
no option for them. Plain functions over the call state; no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from ivr.calls.state import CallState
from ivr.flows.actions import (
    MASK,
    SPEECH_MIN_CONFIDENCE,
    CallerInput,
    KeyPresses,
    Route,
    Say,
    Silence,
    Speech,
    Turn,
    gather_for,
    prompt_of,
)
from ivr.flows.model import Flow, MenuNode
from ivr.flows.reach import open_route
from ivr.ids import Topic


def answer_menu(
    flows: Mapping[str, Flow],
    node: MenuNode,
    state: CallState,
    given: CallerInput,
    turn: Turn,
    *,
    now: dt.datetime,
) -> None:
    """Keys pick an option; words go where their topic is served, or are acknowledged."""
    match given:
        case KeyPresses(digits=digits):
            _menu_keys(node, state, digits, turn)
        case Speech() if "speech" not in node.input:
            _retry(node, state, turn, "no_match", given.text)
        case Speech():
            _menu_speech(flows, node, state, given, turn, now=now)
        case Silence():
            _retry(node, state, turn, "no_input", "")


def _menu_keys(node: MenuNode, state: CallState, digits: str, turn: Turn) -> None:
    shown = MASK * len(digits) if node.secure else digits
    turn.events.append(("menu.input", {"node": state.node, "digits": shown, "secure": node.secure}))
    if digits == "*" and node.repeat_key:
        turn.actions.append(gather_for(state.flow, state.node, node))
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


def _menu_speech(
    flows: Mapping[str, Flow],
    node: MenuNode,
    state: CallState,
    speech: Speech,
    turn: Turn,
    *,
    now: dt.datetime,
) -> None:
    reading = speech.reading
    heard: dict[str, Any] = {
        "node": state.node,
        "speech": speech.text,
        "confidence": speech.confidence,
    }
    if reading is not None:
        # The utterance's reading travels with it to the ticket, in the order it was said.
        heard |= {
            "topic": reading.topic,
            "topic_confidence": reading.topic_confidence,
            "emotion": reading.emotion,
            "emotion_intensity": reading.emotion_intensity,
        }
    turn.events.append(("menu.input", heard))
    if speech.confidence < SPEECH_MIN_CONFIDENCE or reading is None or not speech.text.strip():
        _retry(node, state, turn, "didnt_catch", speech.text)
        return
    state.emotion, state.emotion_intensity = reading.emotion, reading.emotion_intensity
    if reading.topic_confidence < speech.min_topic_confidence:
        _retry(node, state, turn, "clarify_topic", speech.text)
        return
    state.topic = reading.topic
    state.topic_confidence = reading.topic_confidence
    if reading.topic in node.speech:
        state.node = node.speech[reading.topic]
        state.attempts = 0
        return
    _understood(flows, node, state, reading.topic, turn, now=now)


def understood_prompt(topic: Topic) -> str:
    """The prompt id that tells a caller what we understood their call is about."""
    return f"understood_{topic.value}"


def _understood(
    flows: Mapping[str, Flow],
    node: MenuNode,
    state: CallState,
    topic: Topic,
    turn: Turn,
    *,
    now: dt.datetime,
) -> None:
    """Words that name a topic this menu does not list: serve it if a route is open now,
    else say what we understood and go to the flow's offer of what we can do."""
    root = state.stack[0].flow if state.stack else state.flow
    found = open_route(flows, root, topic, now=now)
    if found is not None:
        turn.events.append(
            ("menu.understood", {"node": state.node, "topic": topic, "to": found.node})
        )
        state.attempts = 0
        if found.flow == state.flow:
            state.node = found.node
            return
        # A route of another flow (the main menu's, heard inside a sub-flow): go there now.
        prompt_of(found.route, turn)
        turn.actions.append(Route(topic=found.route.topic or topic, queue=found.route.queue))
        return
    turn.events.append(
        ("menu.understood", {"node": state.node, "topic": topic, "to": node.unserved})
    )
    acknowledged = [Say(understood_prompt(topic))]
    if state.upset:
        acknowledged.insert(0, Say("calming"))
    if node.unserved is None or node.unserved == state.node:
        # Understood, yet this menu is already the offer: ask again, counting the try.
        _retry(node, state, turn, "", speech_heard(state), said=acknowledged)
        return
    turn.actions.extend(acknowledged)
    state.node = node.unserved
    state.attempts = 0


def speech_heard(state: CallState) -> str:
    """The caller's latest words."""
    return state.heard[-1].text if state.heard else ""


def _retry(
    node: MenuNode,
    state: CallState,
    turn: Turn,
    prompt: str,
    heard: str,
    *,
    said: list[Say] | None = None,
) -> None:
    """Count a failed try; replay the menu, or after the last try go where the flow says.

    `said` replaces the retry prompt (what we understood, when we understood something).
    """
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
        if said:
            turn.actions.extend(said)
        if node.on_fail:
            state.node = node.on_fail
        else:
            turn.actions.append(Route(topic=state.topic or Topic.GENERAL))
        return
    turn.actions.extend(said if said else [Say(prompt)])
    turn.actions.append(gather_for(state.flow, state.node, node))
