"""A typed model per carrier callback, and one for our own query parameters.

Twilio documents the parameters of each voice webhook
(https://www.twilio.com/docs/voice/twiml and the pages of each verb); these
models name the ones we use, under their Twilio names, and ignore the rest. Our
own parameters (the flow and node a `<Gather>` belongs to, the step number, ...)
travel in the URL's query string and are kept apart in `HookQuery`, so a
carrier field can never be mistaken for ours or ours for the carrier's.

Both are validated once, at the edge (`ivr.telephony.front_door.serve_hook`);
the call controller reads attributes. A malformed number (a `Confidence` of
"high") reads as its documented default rather than failing the webhook: the
caller must always hear something sensible.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


def _seconds(value: Any) -> float:
    """A duration Twilio sends as text: 0 when missing, unreadable or negative."""
    try:
        return max(0.0, float(value)) if value not in (None, "") else 0.0
    except (TypeError, ValueError):
        return 0.0


def _confidence(value: Any) -> float | None:
    """A recogniser's confidence 0..1; None when missing or unreadable."""
    try:
        return min(1.0, max(0.0, float(value))) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _count(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _flag(value: Any) -> bool:
    """A query flag we set as `name=1`: present and not empty means yes."""
    return value not in (None, "", "0")


_Seconds = Annotated[float, BeforeValidator(_seconds)]
_Confidence = Annotated[float | None, BeforeValidator(_confidence)]
_Count = Annotated[int | None, BeforeValidator(_count)]
_Flag = Annotated[bool, BeforeValidator(_flag)]


class CarrierCallback(BaseModel):
    """What every voice webhook carries (Twilio's request parameters)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    CallSid: str = ""
    AccountSid: str = ""
    From: str = ""
    To: str = ""
    CallStatus: str = ""
    Direction: str = "inbound"


class IncomingCall(CarrierCallback):
    """The number's Voice URL: a call comes in."""


class GatherResult(CarrierCallback):
    """A `<Gather>`'s action: the keys pressed, or the words the carrier recognised."""

    Digits: str = ""
    SpeechResult: str = ""
    Confidence: _Confidence = None


class RecordingResult(GatherResult):
    """A `<Record>`'s action (or the speech `<Gather>` standing in for it)."""

    RecordingUrl: str = ""
    RecordingDuration: _Seconds = 0.0
    RecordingSid: str = ""


class QueueWait(CarrierCallback):
    """An `<Enqueue waitUrl>` request: where the caller is in the queue."""

    QueuePosition: _Count = None
    QueueTime: _Seconds = 0.0
    QueueSid: str = ""


class QueueResult(CarrierCallback):
    """An `<Enqueue action>`: why the caller left the queue, after how long."""

    QueueResult: str = ""
    QueueTime: _Seconds = 0.0
    QueueSid: str = ""


class DialResult(CarrierCallback):
    """A `<Dial action>`: how the other leg ended, and how long it talked."""

    DialCallStatus: str = "failed"
    DialCallDuration: _Seconds = 0.0
    DialCallSid: str = ""


class CallStatusCallback(CarrierCallback):
    """The call's status callback: it ended, after how long."""

    CallStatus: str = "completed"
    CallDuration: _Seconds = 0.0
    # Their order: callbacks may arrive out of it (read by ivr.controller.call_status).
    SequenceNumber: str = ""
    Timestamp: str = ""


class HookQuery(BaseModel):
    """Our own parameters, in the query string of every URL we put in TwiML."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    flow: str | None = None
    node: str | None = None
    s: _Count = Field(default=None, description="the call's step number (carrier retries)")
    silence: _Flag = False  # a <Gather> timed out
    empty: _Flag = False  # a <Record> (or its speech stand-in) heard nothing
    via: str | None = None  # "speech": the carrier's recogniser stood in for <Record>
    voicemail: _Flag = False
    sid: str | None = None  # the call of an apology's queue
