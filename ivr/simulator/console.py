"""The simulator at a terminal: show what the caller hears, ask a person what to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ivr.simulator import verbs
from ivr.simulator.record import Event, Exchange, Heard, Note
from ivr.simulator.script import (
    DTMF_KEYS,
    AgentStep,
    Audio,
    Hangup,
    Press,
    ScriptStep,
    Silence,
    Speak,
)

HANGUP_WORDS = frozenset({"!hangup", "!h", "!q", "!quit"})
# Parameters every request carries; the console shows only what a step added.
STANDARD_PARAMS = frozenset(
    {
        "AccountSid",
        "ApiVersion",
        "CallSid",
        "CallStatus",
        "Direction",
        "From",
        "Caller",
        "FromCountry",
        "CallerCountry",
        "To",
        "Called",
        "ToCountry",
        "CalledCountry",
    }
)


def format_event(event: Event, *, verbose: bool = False) -> str:
    """One event as a console line (or a few, with the TwiML when verbose)."""
    match event:
        case Heard(kind="say", text=text, language=language, voice=voice):
            how = " ".join(part for part in (language, voice) if part)
            return f"  🔊 [{how or 'say'}] {text}"
        case Heard(kind="error", text=text):
            return f"  🔊 [carrier] {text}"
        case Heard(kind=kind, text=text):
            return f"  ♪ [{kind}] {text}".rstrip()
        case Exchange():
            return _format_exchange(event, verbose=verbose)
        case Note(text=text):
            return f"  · {text}"


def _format_exchange(exchange: Exchange, *, verbose: bool) -> str:
    added = {k: v for k, v in exchange.params.items() if k not in STANDARD_PARAMS}
    if exchange.purpose == "status":
        added["CallStatus"] = exchange.params.get("CallStatus", "")
    shown = " ".join(f"{k}={v!r}" for k, v in added.items())
    status = exchange.status_code if exchange.status_code is not None else "no answer"
    line = f"  → {exchange.method} {exchange.url} {shown} [{status}]".replace("  [", " [")
    if exchange.error:
        line += f"\n  ✗ {exchange.error}"
    if verbose and exchange.body:
        line += "\n" + "\n".join("      " + row for row in exchange.body.splitlines())
    return line


def console_observer(
    write: Callable[[str], None], *, verbose: bool = False
) -> Callable[[Event], None]:
    """An observer that writes every event as it happens."""

    def observe(event: Event) -> None:
        write(format_event(event, verbose=verbose))

    return observe


class InteractiveCaller:
    """A person at the console answers each Gather, Record and queue round."""

    def __init__(
        self,
        *,
        read: Callable[[str], str] = input,
        write: Callable[[str], None],
    ) -> None:
        self._read = read
        self._write = write

    def _ask(self, question: str) -> str | None:
        """The person's answer, or None when they close the input (hang up)."""
        try:
            return self._read(question).strip()
        except EOFError:
            return None

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        """Keys (0-9 * #), words to say, Enter for silence, !hangup to hang up."""
        takes = " or ".join(sorted({"dtmf": "keys", "speech": "words"}[i] for i in gather.input))
        answer = self._ask(f"  ☎ {takes} (Enter: silence, !hangup) > ")
        if answer is None or answer.lower() in HANGUP_WORDS:
            return Hangup()
        if not answer:
            return Silence()
        if set(answer) <= DTMF_KEYS:
            return Press(digits=answer)
        return Speak(text=answer)

    async def at_record(self, record: verbs.Record) -> ScriptStep | None:
        """An audio file path, words to speak (espeak-ng), Enter for silence, !hangup."""
        answer = self._ask("  🎙 recording: audio file or words (Enter: silence, !hangup) > ")
        if answer is None or answer.lower() in HANGUP_WORDS:
            return Hangup()
        if not answer:
            return Silence()
        path = Path(answer).expanduser()
        if path.is_file():
            return Audio(path=path)
        if set(answer) <= DTMF_KEYS:
            return Press(digits=answer)
        return Speak(text=answer)

    async def at_dial(self, dial: verbs.Dial) -> AgentStep | None:
        """The carrier's default (--agent) decides how the far end answers."""
        return None

    async def after_wait_round(self, round_number: int) -> bool:
        """Ask whether to keep holding."""
        answer = self._ask(f"  ⏳ queued (round {round_number}): Enter keeps waiting, !hangup > ")
        return answer is None or answer.lower() in HANGUP_WORDS

    def remaining(self) -> list[ScriptStep]:
        """A person has no steps left over."""
        return []
