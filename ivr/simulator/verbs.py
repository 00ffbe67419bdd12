"""Parse a TwiML voice document into verb objects, with Twilio's documented defaults.

The simulator only reads TwiML; building it is the service's job (`ivr.telephony`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from ivr.errors import InvalidInputError


class TwimlError(InvalidInputError):
    """A document is not TwiML Twilio could execute (Twilio error 12100)."""


@dataclass(frozen=True)
class Say:
    """Text read to the caller."""

    text: str
    voice: str = ""
    language: str = ""
    loop: int = 1


@dataclass(frozen=True)
class Play:
    """An audio file (or DTMF tones) played to the caller."""

    url: str
    loop: int = 1
    digits: str = ""


@dataclass(frozen=True)
class Pause:
    """Silence on the line."""

    length: float = 1.0


@dataclass(frozen=True)
class Gather:
    """Collect keys and/or speech; nested Say/Play/Pause are the prompt."""

    input: frozenset[str] = frozenset({"dtmf"})
    action: str | None = None
    method: str = "POST"
    timeout: float = 5.0
    finish_on_key: str = "#"
    num_digits: int | None = None
    action_on_empty_result: bool = False
    language: str = "en-US"
    hints: str = ""
    prompt: tuple[Say | Play | Pause, ...] = ()


@dataclass(frozen=True)
class Record:
    """Record the caller's voice and post the recording to `action`."""

    action: str | None = None
    method: str = "POST"
    timeout: float = 5.0
    finish_on_key: str = "1234567890*#"
    max_length: float = 3600.0
    play_beep: bool = True
    recording_status_callback: str | None = None
    recording_status_callback_method: str = "POST"


@dataclass(frozen=True)
class Redirect:
    """Continue with the TwiML at another URL."""

    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Enqueue:
    """Put the caller in a queue; the wait URL plays while they wait."""

    queue: str
    action: str | None = None
    method: str = "POST"
    wait_url: str | None = None
    wait_url_method: str = "POST"


@dataclass(frozen=True)
class Leave:
    """Take the caller out of the queue they wait in."""


@dataclass(frozen=True)
class DialTarget:
    """One party `<Dial>` rings: kind is client, number, sip, queue or conference."""

    kind: str
    address: str
    # <Client><Parameter name value/>: custom parameters the called client receives
    parameters: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Dial:
    """Connect the caller to another party."""

    targets: tuple[DialTarget, ...]
    action: str | None = None
    method: str = "POST"
    timeout: float = 30.0
    time_limit: float = 14400.0
    caller_id: str = ""


@dataclass(frozen=True)
class Hangup:
    """End the call."""


@dataclass(frozen=True)
class Reject:
    """Refuse the call without answering (reason: rejected or busy)."""

    reason: str = "rejected"


@dataclass(frozen=True)
class Unsupported:
    """A verb the simulator does not play (Twilio may; it is shown and skipped)."""

    name: str
    attributes: dict[str, str] = field(default_factory=dict)


Verb = (
    Say
    | Play
    | Pause
    | Gather
    | Record
    | Redirect
    | Enqueue
    | Leave
    | Dial
    | Hangup
    | Reject
    | Unsupported
)

_METHODS = ("GET", "POST")
_DIAL_NOUNS = {"Client": "client", "Number": "number", "Sip": "sip", "Queue": "queue"}
_DIAL_NOUNS["Conference"] = "conference"


def _text(element: ET.Element) -> str:
    """All text inside an element (SSML children included), whitespace collapsed."""
    return " ".join("".join(element.itertext()).split())


def _number(element: ET.Element, name: str, default: float) -> float:
    raw = element.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: not a number", field=name) from exc
    if value < 0:
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: negative", field=name)
    return value


def _integer(element: ET.Element, name: str, default: int) -> int:
    value = _number(element, name, float(default))
    if value != int(value):
        raise TwimlError(f"<{element.tag} {name}={element.get(name)!r}>: not a whole number")
    return int(value)


def _method(element: ET.Element, name: str = "method") -> str:
    method = (element.get(name) or "POST").upper()
    if method not in _METHODS:
        raise TwimlError(f"<{element.tag} {name}={method!r}>: use GET or POST", field=name)
    return method


def _flag(element: ET.Element, name: str, default: bool) -> bool:
    raw = element.get(name)
    if raw is None:
        return default
    if raw.lower() not in ("true", "false"):
        raise TwimlError(f"<{element.tag} {name}={raw!r}>: use true or false", field=name)
    return raw.lower() == "true"


def _say(element: ET.Element) -> Say:
    return Say(
        text=_text(element),
        voice=element.get("voice", ""),
        language=element.get("language", ""),
        loop=_integer(element, "loop", 1),
    )


def _play(element: ET.Element) -> Play:
    return Play(
        url=_text(element), loop=_integer(element, "loop", 1), digits=element.get("digits", "")
    )


def _pause(element: ET.Element) -> Pause:
    return Pause(length=_number(element, "length", 1.0))


def _gather(element: ET.Element) -> Gather:
    inputs = frozenset((element.get("input") or "dtmf").split())
    if not inputs or not inputs <= {"dtmf", "speech"}:
        raise TwimlError(f"<Gather input={element.get('input')!r}>: use dtmf and/or speech")
    prompt: list[Say | Play | Pause] = []
    for child in element:
        nested = _PROMPT_PARSERS.get(child.tag)
        if nested is None:
            raise TwimlError(f"<Gather> may hold Say, Play and Pause, not <{child.tag}>")
        prompt.append(nested(child))
    num_digits = element.get("numDigits")
    return Gather(
        input=inputs,
        action=element.get("action") or None,
        method=_method(element),
        timeout=_number(element, "timeout", 5.0),
        finish_on_key=element.get("finishOnKey", "#"),
        num_digits=None if num_digits is None else _integer(element, "numDigits", 1),
        action_on_empty_result=_flag(element, "actionOnEmptyResult", False),
        language=element.get("language", "en-US"),
        hints=element.get("hints", ""),
        prompt=tuple(prompt),
    )


def _record(element: ET.Element) -> Record:
    return Record(
        action=element.get("action") or None,
        method=_method(element),
        timeout=_number(element, "timeout", 5.0),
        finish_on_key=element.get("finishOnKey", "1234567890*#"),
        max_length=_number(element, "maxLength", 3600.0),
        play_beep=_flag(element, "playBeep", True),
        recording_status_callback=element.get("recordingStatusCallback") or None,
        recording_status_callback_method=_method(element, "recordingStatusCallbackMethod"),
    )


def _redirect(element: ET.Element) -> Redirect:
    url = _text(element)
    if not url:
        raise TwimlError("<Redirect> needs a URL")
    return Redirect(url=url, method=_method(element))


def _enqueue(element: ET.Element) -> Enqueue:
    return Enqueue(
        queue=_text(element),
        action=element.get("action") or None,
        method=_method(element),
        wait_url=element.get("waitUrl") or None,
        wait_url_method=_method(element, "waitUrlMethod"),
    )


def _dial(element: ET.Element) -> Dial:
    targets = [DialTarget(kind="number", address=element.text.strip())] if element.text else []
    targets = [t for t in targets if t.address]
    for child in element:
        kind = _DIAL_NOUNS.get(child.tag)
        if kind is None:
            raise TwimlError(f"<Dial> may not hold <{child.tag}>")
        targets.append(_dial_target(kind, child))
    if not targets:
        raise TwimlError("<Dial> names no one to call")
    return Dial(
        targets=tuple(targets),
        action=element.get("action") or None,
        method=_method(element),
        timeout=_number(element, "timeout", 30.0),
        time_limit=_number(element, "timeLimit", 14400.0),
        caller_id=element.get("callerId", ""),
    )


def _dial_target(kind: str, element: ET.Element) -> DialTarget:
    """One noun of `<Dial>`; a `<Client>` may name its `<Identity>` and carry `<Parameter>`s."""
    identity = element.find("Identity")
    if kind != "client" or (identity is None and element.find("Parameter") is None):
        return DialTarget(kind=kind, address=_text(element))
    parameters = tuple(
        (p.get("name", ""), p.get("value", ""))
        for p in element.findall("Parameter")
        if p.get("name")
    )
    address = _text(identity) if identity is not None else (element.text or "").strip()
    return DialTarget(kind=kind, address=address, parameters=parameters)


def _reject(element: ET.Element) -> Reject:
    reason = element.get("reason", "rejected")
    if reason not in ("rejected", "busy"):
        raise TwimlError(f"<Reject reason={reason!r}>: use rejected or busy", field="reason")
    return Reject(reason=reason)


_PROMPT_PARSERS: dict[str, Callable[[ET.Element], Say | Play | Pause]] = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
}
_PARSERS: dict[str, Callable[[ET.Element], Verb]] = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
    "Gather": _gather,
    "Record": _record,
    "Redirect": _redirect,
    "Enqueue": _enqueue,
    "Dial": _dial,
    "Reject": _reject,
}


def parse_twiml(document: str | bytes) -> list[Verb]:
    """The verbs of a `<Response>` document, in order; TwimlError when it is not TwiML."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as exc:
        raise TwimlError(f"not well-formed XML: {exc}") from exc
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    verbs: list[Verb] = []
    for element in root:
        if element.tag == "Leave":
            verbs.append(Leave())
        elif element.tag == "Hangup":
            verbs.append(Hangup())
        elif element.tag in _PARSERS:
            verbs.append(_PARSERS[element.tag](element))
        else:
            verbs.append(Unsupported(name=element.tag, attributes=dict(element.attrib)))
    return verbs
