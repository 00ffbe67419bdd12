"""The terms of a simulated call: its setup, its bounds, and how control moves."""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.simulator.script import AgentStep

APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."
PLAY_SECONDS = 5.0
COUNTRIES = (
    ("+1", "US"),
    ("+86", "CN"),
    ("+852", "HK"),
    ("+853", "MO"),
    ("+886", "TW"),
    ("+44", "GB"),
    ("+65", "SG"),
)


@dataclass(frozen=True)
class Limits:
    """Bounds that make every simulated call end."""

    max_requests: int = 200
    max_verbs: int = 2000
    max_wait_rounds: int = 50
    max_call_seconds: float = 4 * 3600.0


@dataclass(frozen=True)
class Jump:
    """Fetch TwiML from `url` next; `then` are callbacks posted after it (answers ignored)."""

    purpose: str
    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)
    then: tuple[tuple[str, str, str, dict[str, str]], ...] = ()


class CallEnded(Exception):
    """The call is over; `ended_by` says who or what ended it."""

    def __init__(self, ended_by: str, *, status: str = "completed") -> None:
        super().__init__(ended_by)
        self.ended_by = ended_by
        self.status = status


class ApplicationError(Exception):
    """The service's answer could not be used; Twilio apologises and hangs up."""


def country(number: str) -> str:
    """The ISO country Twilio would report for a number (a few codes known)."""
    for prefix, code in sorted(COUNTRIES, key=lambda c: -len(c[0])):
        if number.startswith(prefix):
            return code
    return ""


def speaking_seconds(text: str) -> float:
    """Roughly how long a voice takes to read `text` (words, or Han characters)."""
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    words = len(text.split()) if han == 0 else 0
    return 0.5 + words / 2.5 + han / 4.0


@dataclass
class CallSetup:
    """Everything a session needs to know before the call starts."""

    voice_url: str
    status_url: str
    account_sid: str
    caller: str
    called: str
    language: str
    default_agent: AgentStep
    limits: Limits
    realtime: bool = False
    call_sid: str = ""
    # Where to tell the service how much simulated time passed (its /dev/clock), or "".
    clock_url: str = ""
