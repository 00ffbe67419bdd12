"""A caller's own words when our offline recogniser has no model for their language.

The default engine (pocketsphinx) ships an English model only. For a Mandarin
caller asked to "tell us in a few words", the switchboard asks the carrier's
recogniser instead (`<Gather input="speech" language="cmn-Hans-CN">`, as the
main menu already does) rather than record audio nobody here can transcribe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.telephony import twiml
from ivr.telephony.step import Step

if TYPE_CHECKING:
    from ivr.telephony.switchboard import Switchboard


def ask(step: Step, action: engine.Record) -> None:
    """A speech `<Gather>` in place of `<Record>`; its answer comes to the record URL."""
    url = step.url("/twilio/record", flow=action.flow, node=action.node, via="speech")
    gather = engine.Gather(action.flow, action.node, "speech", 1, action.timeout, (), prompts=())
    twiml.gather(step.response, step.speaker, gather, url=url, timeout_url=url + "&empty=1")


async def understood(
    board: Switchboard, step: Step, node: RecordNode, params: Mapping[str, str]
) -> None:
    """Read the carrier's transcript like our own, then go on at the node's `next`."""
    state = step.state
    text = "" if params.get("empty") else params.get("SpeechResult", "").strip()
    state.node = node.next
    if not text:
        step.log("speech.failed", {"error": "nothing was heard"})
        return
    confidence = params.get("Confidence", "")
    step.log(
        "speech.transcribed",
        {"text": text, "confidence": confidence, "engine": "carrier", "node": params.get("node")},
    )
    state.utterances.append(text)
    reading = board.understanding.read(text, state.language, behaviour=board.behaviour(state))
    if reading.topic_confidence >= board.understanding.min_confidence:
        state.topic, state.topic_confidence = reading.topic, reading.topic_confidence
    state.emotion, state.emotion_intensity = reading.emotion, reading.emotion_intensity
    step.log("nlu.read", reading.model_dump(mode="json"))
