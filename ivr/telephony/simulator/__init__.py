"""`ivr call`: a local phone simulator that plays the carrier as Twilio documents it.

carrier = Carrier(base_url="http://testserver", auth_token=token,
                  transport=httpx.ASGITransport(app))
record = await carrier.place_call([Press("1"), Say("I lost my card")])
"""

from ivr.telephony.simulator.call_setup import Limits
from ivr.telephony.simulator.callers import CallerInput, ScriptedCaller
from ivr.telephony.simulator.carrier import Carrier
from ivr.telephony.simulator.record import CallRecord, Exchange, Heard, Note
from ivr.telephony.simulator.recordings import RecordingServer
from ivr.telephony.simulator.steps import (
    AgentAnswers,
    AgentBusy,
    AgentFailed,
    AgentNoAnswer,
    Audio,
    Hangup,
    Press,
    Say,
    Silence,
    Step,
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
    "Say",
    "ScriptedCaller",
    "Silence",
    "Step",
    "Wait",
    "load_script",
    "parse_steps",
]
