"""One webhook being answered: the call, the TwiML being built, the events to log.

(`Webhook`, not "step": the flow engine's step is `engine.answer`/`resume`, the
simulator's is a `ScriptStep`, and the call's step *number* is `CallState.seq`,
the `s=` of every URL we hand the carrier.)
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.state import CallState
from ivr.events import CallEvent, event_id
from ivr.flows.model import Flow
from ivr.telephony.twiml import Speaker

# A query pair that urlencode would leave as it is (ids and numbers).
_PLAIN = re.compile(r"[A-Za-z0-9_.\-]+=[A-Za-z0-9_.\-]*")


@dataclass
class Webhook:
    """The working context of one webhook."""

    state: CallState
    base_url: str
    fingerprint: str
    speaker: Speaker
    # The flows this call sees, each at the version it entered it with (ivr.flows.pinning).
    flows: Mapping[str, Flow] = field(default_factory=dict)
    response: VoiceResponse = field(default_factory=VoiceResponse)
    events: list[CallEvent] = field(default_factory=list)
    now: float = field(default_factory=time.time)

    def url(self, path: str, **query: str | int) -> str:
        """An absolute URL under the public base, for TwiML.

        Each carries the call's step number (`s=`), so the caller's next request (even an
        identical silence) differs from a carrier's retry of this one.
        """
        query["s"] = self.state.seq
        pairs = [f"{k}={v}" for k, v in query.items()]
        if all(_PLAIN.fullmatch(pair) for pair in pairs):  # ids and numbers: nothing to quote
            return f"{self.base_url}{path}?{'&'.join(pairs)}"
        return f"{self.base_url}{path}?{urlencode(query)}"

    def log(self, kind: str, data: dict[str, Any]) -> None:
        """Record an event of this step, with an id stable under carrier retries."""
        index = len(self.events)
        self.events.append(
            CallEvent(
                id=event_id(self.state.call_sid, self.fingerprint, index),
                call_sid=self.state.call_sid,
                at=self.now,
                type=kind,
                data=data,
            )
        )
