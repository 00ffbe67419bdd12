"""What happened on a simulated call: what the caller heard and every request made."""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.simulator.script import ScriptStep


@dataclass(frozen=True)
class Heard:
    """One thing the caller heard: kind is say, play, pause, beep, hold or error."""

    kind: str
    text: str = ""
    language: str = ""
    voice: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Exchange:
    """One request the carrier made and the service's answer."""

    purpose: str
    method: str
    url: str
    params: dict[str, str]
    signature: str
    status_code: int | None = None
    content_type: str = ""
    body: str = ""
    error: str = ""


@dataclass(frozen=True)
class Note:
    """Something the carrier did or noticed (a Gather timed out, a Dial was answered)."""

    text: str
    at: float = 0.0


Event = Heard | Exchange | Note


@dataclass
class CallRecord:
    """The whole simulated call, in order."""

    call_sid: str
    caller: str
    called: str
    status: str = "in-progress"
    duration: float = 0.0
    heard: list[Heard] = field(default_factory=list)
    requests: list[Exchange] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    steps_left: list[ScriptStep] = field(default_factory=list)
    ended_by: str = ""

    @property
    def said(self) -> list[str]:
        """The text of every `<Say>` the caller heard, in order."""
        return [item.text for item in self.heard if item.kind == "say"]

    @property
    def transcript(self) -> str:
        """Everything said to the caller, one line each."""
        return "\n".join(self.said)

    def requests_to(self, path: str) -> list[Exchange]:
        """Requests whose URL path ends with `path` (query string ignored)."""
        return [r for r in self.requests if r.url.split("?", 1)[0].endswith(path)]

    @property
    def last_twiml(self) -> str:
        """The body of the last TwiML answer received."""
        answered = [r for r in self.requests if r.purpose != "status" and r.body]
        return answered[-1].body if answered else ""
