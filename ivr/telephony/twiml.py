"""Turning the engine's actions into TwiML, with the twilio library's builder.

Attribute order is fixed by the builder (alphabetical), so the XML for a
given call state is deterministic and tests can compare it exactly.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

from twilio.twiml import TwiML
from twilio.twiml.voice_response import Gather as TwimlGather
from twilio.twiml.voice_response import Say, VoiceResponse

from ivr.flows import engine
from ivr.ids import Language
from ivr.prompts.model import PromptCatalog

XML_CONTENT_TYPE = "text/xml"


class Speaker:
    """Says prompts in a call's language, with that language's voice."""

    def __init__(self, *, prompts: PromptCatalog, language: Language, calm: bool = False) -> None:
        self.prompts = prompts
        self.language = language
        self.calm = calm

    def text(
        self,
        prompt: str,
        params: Mapping[str, Any] | None = None,
        *,
        language: Language | None = None,
    ) -> str:
        """The prompt's text in the call's language (the calming variant for upset callers)."""
        return self.prompts.text(
            prompt, language or self.language, calm=self.calm, **(params or {})
        )

    def say(self, target: VoiceResponse | TwimlGather, action: engine.Say) -> None:
        """Append `<Say>` for one prompt, in one language or in each language in turn."""
        languages: Iterable[Language] = (
            self._all_languages_first_current() if action.all_languages else (self.language,)
        )
        for language in languages:
            voice = self.prompts.sets[language].say
            text = self.text(action.prompt, action.params, language=language)
            target.append(_said(text, voice.voice, voice.language))

    def gather_language(self) -> str:
        """The carrier's speech-recognition code for the call's language."""
        return self.prompts.sets[self.language].gather_language

    def _all_languages_first_current(self) -> list[Language]:
        rest = [lang for lang in self.prompts.sets if lang != self.language]
        return [self.language, *rest]


class _SaidOnce(Say):  # type: ignore[misc]  # twilio has no type hints
    """A `<Say>` shared by every response that says it, its XML written once.

    Menus say the same few prompts over and over; building and escaping them anew
    for each webhook was a good part of its cost. Nothing nests inside a Say, so one
    instance serves them all.
    """

    def __init__(self, message: str, voice: str, language: str) -> None:
        super().__init__(message, voice=voice, language=language)
        self.xml = ""
        self.xml = _written(self)


@functools.lru_cache(maxsize=2048)
def _said(message: str, voice: str, language: str) -> _SaidOnce:
    return _SaidOnce(message, voice, language)


def gather(
    response: VoiceResponse, speaker: Speaker, action: engine.Gather, *, url: str, timeout_url: str
) -> None:
    """A `<Gather>` for an input node, then a redirect taken when the caller is silent."""
    # TwiML's own (camelCase) attribute names: the builder passes them through as they are.
    attrs: dict[str, Any] = {
        "input": action.input,
        "action": url,
        "method": "POST",
        "timeout": action.timeout,
        "actionOnEmptyResult": False,
    }
    if action.num_digits == 1:
        attrs["numDigits"] = 1
    else:
        attrs["finishOnKey"] = "#"
    if "speech" in action.input:
        attrs["language"] = speaker.gather_language()
        attrs["speechTimeout"] = "auto"
        if action.hints:
            attrs["hints"] = ", ".join(action.hints)
    node = response.gather(**attrs)
    for prompt in action.prompts:
        speaker.say(node, prompt)
    response.redirect(timeout_url, method="POST")


def record(response: VoiceResponse, action: engine.Record, *, url: str) -> None:
    """A `<Record>`; Twilio posts RecordingUrl to `url` when the caller stops."""
    response.record(
        action=url,
        method="POST",
        max_length=action.max_length,
        timeout=action.timeout,
        play_beep=True,
        trim="trim-silence",
    )
    # Nothing recorded: Twilio goes on to the next verb, and so do we.
    response.redirect(url + ("&" if "?" in url else "?") + "empty=1", method="POST")


def dial(
    response: VoiceResponse,
    *,
    endpoint: str,
    agent_id: str,
    url: str,
    timeout: int = 20,
    ticket: str | None = None,
) -> None:
    """`<Dial>` an agent: `<Client>` for app agents, `<Number>` or `<Sip>` otherwise.

    A client gets `<Identity>` and a `ticket` `<Parameter>`, so the agent's console
    (Twilio Voice SDK or the simulator's ring) knows which call is ringing.
    """
    node = response.dial(action=url, method="POST", timeout=timeout, answer_on_bridge=True)
    if endpoint == "client":
        client = node.client()
        client.identity(agent_id)
        if ticket:
            client.parameter(name="ticket", value=ticket)
    elif endpoint.startswith("sip:"):
        node.sip(endpoint)
    else:
        node.number(endpoint)


def transfer(response: VoiceResponse, *, number: str, url: str) -> None:
    """`<Dial>` a number or SIP address outside the hotline."""
    node = response.dial(action=url, method="POST", timeout=30)
    if number.startswith("sip:"):
        node.sip(number)
    else:
        node.number(number)


def enqueue(response: VoiceResponse, *, queue: str, wait_url: str, url: str) -> None:
    """`<Enqueue>` the caller; the wait URL is polled while they wait."""
    response.enqueue(queue, wait_url=wait_url, wait_url_method="POST", action=url, method="POST")


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
_CDATA = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIB = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#09;",
    }
)


def render(response: VoiceResponse) -> str:
    """The TwiML document as text, byte for byte what `response.to_xml()` gives.

    The builder's own serialisation goes through ElementTree, which cost more
    than the rest of a menu step put together; this walks the same tree of verbs
    (sorted attributes, booleans as true/false, ElementTree's escaping) directly.
    """
    out = [XML_DECLARATION]
    _write(response, out)
    return "".join(out)


def _written(node: TwiML) -> str:
    out: list[str] = []
    _write(node, out)
    return "".join(out)


def _write(node: TwiML, out: list[str]) -> None:
    if isinstance(node, _SaidOnce) and node.xml:
        out.append(node.xml)
        return
    out.append("<" + node.name)
    for key in sorted(node.attrs):
        value = node.attrs[key]
        text = str(value).lower() if isinstance(value, bool) else str(value)
        out.append(f' {key}="{text.translate(_ATTRIB)}"')
    value = json.dumps(node.value) if isinstance(node.value, dict) else node.value
    if not value and not node.verbs:
        out.append(" />")
        return
    out.append(">")
    if value:
        out.append(str(value).translate(_CDATA))
    for verb in node.verbs:
        if isinstance(verb, str):
            out.append(verb.translate(_CDATA))
        else:
            _write(verb, out)
    out.append(f"</{node.name}>")
