"""Try a draft flow without a phone: the pure engine stepped over it, what the caller hears.

The studio's "try it" panel sends the keys or words an admin types; this
answers with the prompts' texts in the call's language and what the call
waits for next. Nothing is routed, booked or recorded: those actions are
described instead. The call's state travels with each request (the client
keeps it), so a trial holds no server memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Literal

from pydantic import BaseModel, Field

from ivr.calls.state import CallState, Utterance
from ivr.flows import engine
from ivr.flows.model import WEEKDAYS, Flow, HoursNode, RecordNode
from ivr.ids import Language
from ivr.nlu.models import Reading
from ivr.prompts.model import PromptCatalog

Reader = Callable[[str, Language], Reading | None]
MAX_RESUMES = 4  # a booked callback resumes the flow; never more than the switchboard does
Waiting = Literal["keys", "speech", "keys or speech", "recording", "agent", "transfer", "ended"]


Hours = Literal["open", "closed"] | None
_INPUT: dict[str, Waiting] = {"dtmf": "keys", "speech": "speech", "dtmf speech": "keys or speech"}


class Heard(BaseModel):
    """One thing the caller hears (a prompt's text), or a note of what the service does."""

    prompt: str | None = None
    text: str
    note: bool = False


class TrialInput(BaseModel):
    """What the admin's caller does next: keys, words, or nothing (a timeout)."""

    keys: str | None = Field(default=None, max_length=32, pattern=r"^[0-9*#]+$")
    say: str | None = Field(default=None, max_length=500)


class TrialTurn(BaseModel):
    """What the caller heard, and what the call waits for now."""

    heard: list[Heard]
    waiting: Waiting
    flow: str
    node: str
    events: list[dict[str, object]]
    state: CallState


def with_hours(flows: Mapping[str, Flow], hours: Hours) -> dict[str, Flow]:
    """`flows` with every hours check answering `hours` (None: the real clock)."""
    if hours is None:
        return dict(flows)
    weekly = {day: ["00:00-24:00"] for day in WEEKDAYS} if hours == "open" else {}
    changed: dict[str, Flow] = {}
    for name, flow in flows.items():
        nodes = {
            node_id: node.model_copy(update={"weekly": weekly, "holidays": []})
            if isinstance(node, HoursNode)
            else node
            for node_id, node in flow.nodes.items()
        }
        changed[name] = flow.model_copy(update={"nodes": nodes})
    return changed


def begin(
    flows: Mapping[str, Flow],
    prompts: PromptCatalog,
    *,
    flow: str,
    language: Language,
    now: dt.datetime,
) -> TrialTurn:
    """A simulated call enters `flow`."""
    state = CallState(call_sid="trial", caller="+10000000000", flow=flow, language=language)
    return _render(flows, prompts, state, engine.start(flows, state, now=now), now=now)


def step(
    flows: Mapping[str, Flow],
    prompts: PromptCatalog,
    state: CallState,
    given: TrialInput,
    *,
    read: Reader,
    min_confidence: float,
    now: dt.datetime,
) -> TrialTurn:
    """The caller answers where the simulated call waits; KeyError when the draft lacks its node."""
    node = flows[state.flow].node(state.node)
    if isinstance(node, RecordNode):
        # The admin types what the caller would say into the recording.
        words = (given.say or "").strip()
        reading = read(words, state.language) if words else None
        if reading is not None:
            state.said += 1
            state.heard.append(
                Utterance(
                    number=state.said,
                    text=words,
                    source="recording",
                    node=state.node,
                    reading=reading,
                )
            )
            if reading.topic_confidence >= min_confidence:
                state.topic, state.topic_confidence = reading.topic, reading.topic_confidence
        state.node = node.next
        turn = engine.resume(flows, state, now=now)
    else:
        turn = engine.answer(
            flows, state, _caller_input(state, given, read, min_confidence), now=now
        )
    return _render(flows, prompts, state, turn, now=now)


def _caller_input(
    state: CallState, given: TrialInput, read: Reader, min_confidence: float
) -> engine.CallerInput:
    if given.keys:
        return engine.KeyPresses(given.keys)
    words = (given.say or "").strip()
    if words:
        return engine.Speech(words, 0.9, read(words, state.language), min_confidence)
    return engine.Silence()


def _render(
    flows: Mapping[str, Flow],
    prompts: PromptCatalog,
    state: CallState,
    turn: engine.Turn,
    *,
    now: dt.datetime,
) -> TrialTurn:
    heard: list[Heard] = []
    events: list[dict[str, object]] = []
    waiting: Waiting = "ended"
    for _ in range(MAX_RESUMES + 1):
        events.extend({"type": kind, "data": data} for kind, data in turn.events)
        waiting, again = _actions(prompts, state, turn, heard)
        if not again:
            break
        turn = engine.resume(flows, state, now=now)
    return TrialTurn(
        heard=heard, waiting=waiting, flow=state.flow, node=state.node, events=events, state=state
    )


def _actions(
    prompts: PromptCatalog, state: CallState, turn: engine.Turn, heard: list[Heard]
) -> tuple[Waiting, bool]:
    """Describe `turn`'s actions into `heard`; what the call waits for, and whether to resume."""
    waiting: Waiting = "ended"
    for action in turn.actions:
        match action:
            case engine.Say():
                heard.extend(_said(prompts, state, action))
            case engine.Gather():
                for prompt in action.prompts:
                    heard.extend(_said(prompts, state, prompt))
                waiting = _INPUT.get(action.input, "keys or speech")
            case engine.Record():
                heard.append(
                    Heard(text=f"(records the caller, up to {action.max_length} s)", note=True)
                )
                waiting = "recording"
            case engine.Route():
                queue = f", queue {action.queue}" if action.queue else ""
                heard.extend(_said(prompts, state, engine.Say("connecting")))
                heard.append(Heard(text=f"(to an agent: topic {action.topic}{queue})", note=True))
                return "agent", False
            case engine.Transfer():
                heard.extend(_said(prompts, state, engine.Say("transfer_connecting")))
                heard.append(Heard(text=f"(transferred to {action.number})", note=True))
                return "transfer", False
            case engine.BookCallback():
                when = "(the next opening time)"
                heard.extend(_said(prompts, state, engine.Say("callback_booked", {"when": when})))
                heard.append(Heard(text=f"(a callback is booked: topic {action.topic})", note=True))
                return "ended", True
            case engine.Hangup():
                heard.append(Heard(text="(the call ends)", note=True))
                return "ended", False
    return waiting, False


def _said(prompts: PromptCatalog, state: CallState, say: engine.Say) -> list[Heard]:
    languages = list(prompts.sets) if say.all_languages else [state.language]
    found: list[Heard] = []
    for language in languages:
        try:
            text = prompts.text(say.prompt, language, calm=state.upset, **dict(say.params))
        except (KeyError, IndexError, ValueError):
            text = f"(prompt '{say.prompt}' has no text in {language})"
        found.append(Heard(prompt=say.prompt, text=text))
    return found
