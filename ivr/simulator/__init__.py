"""`ivr call`: a local phone simulator that plays the carrier as Twilio documents it.

carrier = Carrier(base_url="http://testserver", auth_token=token,
                  transport=httpx.ASGITransport(app))
record = await carrier.place_call([Press("1"), Speak("I lost my card")])
"""

from ivr.simulator.call_setup import Limits
from ivr.simulator.callers import CallerInput, ScriptedCaller
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord, Exchange, Heard, Note
from ivr.simulator.recordings import RecordingServer
from ivr.simulator.script import (
    AgentAnswers,
    AgentBusy,
    AgentFailed,
    AgentNoAnswer,
    Audio,
    Hangup,
    Press,
    ScriptStep,
    Silence,
    Speak,
    Wait,
    load_script,
    parse_steps,
)

__all__ = [
    "AgentAnswers",
    "AgentBusy",
    "AgentFailed",
    "AgentNoAnswer",
    "Audio",
    "CallRecord",
    "CallerInput",
    "Carrier",
    "Exchange",
    "Hangup",
    "Heard",
    "Limits",
    "Note",
    "Press",
    "RecordingServer",
    "ScriptStep",
    "ScriptedCaller",
    "Silence",
    "Speak",
    "Wait",
    "load_script",
    "parse_steps",
]
