"""`ivr call`: place a simulated phone call to the service (no Twilio account needed)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperCommand

from ivr.cli.local_service import local_address
from ivr.config import Settings
from ivr.errors import IvrError
from ivr.simulator import Carrier, Limits, load_script
from ivr.simulator.carrier import DEFAULT_CALLED
from ivr.simulator.console import InteractiveCaller, console_observer
from ivr.simulator.record import CallRecord
from ivr.simulator.script import Audio, Press, ScriptStep, Speak, agent_outcome

RECORDING_LINGER_SECONDS = 15.0
DEFAULT_URL = "http://127.0.0.1:8080"
STEP_OPTIONS = ("press", "say", "audio")
LANGUAGES = ("en-US", "zh-CN")


class _StepOrderCommand(TyperCommand):
    """Remembers the order of --press/--say/--audio on the command line (click keeps
    each option's values apart, and a caller's steps only make sense in order)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        _, _, order = self.make_parser(ctx).parse_args(args=list(args))
        ctx.meta["ivr.call.order"] = [p.name for p in order if p.name in STEP_OPTIONS]
        return super().parse_args(ctx, args)


def ordered_steps(
    order: list[str], *, press: list[str], say: list[str], audio: list[Path]
) -> list[ScriptStep]:
    """The step options as steps, in the order they were given."""
    queues: dict[str, list[ScriptStep]] = {
        "press": [Press(digits=d) for d in press],
        "say": [Speak(text=t) for t in say],
        "audio": [Audio(path=p) for p in audio],
    }
    steps = [queues[name].pop(0) for name in order if queues[name]]
    # Anything the order list missed (it should not) still runs, after the rest.
    return steps + [step for name in STEP_OPTIONS for step in queues[name]]


def _auth_token(token: str | None) -> str:
    if token:
        return token
    return Settings().ensure_auth_token()


def service_url(settings: Settings) -> str:
    """Where to call without --url: IVR_PUBLIC_URL, else the `ivr serve` started from this
    folder (its data dir says where), else the default local address."""
    return settings.public_url or local_address(settings.data_dir) or DEFAULT_URL


def _quiet(_text: str) -> None:
    """Print nothing (with --json only the record is printed)."""


def _summary(record: CallRecord) -> str:
    line = (
        f"call {record.call_sid} ended: {record.status}, by {record.ended_by}, "
        f"{int(record.duration)}s, {len(record.requests)} request(s)"
    )
    if record.steps_left:
        line += f"; {len(record.steps_left)} step(s) unused"
    return line


def call(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            help="The service's base URL (default: IVR_PUBLIC_URL, else the `ivr serve` "
            "started from this folder)."
        ),
    ] = None,
    caller: Annotated[
        str | None, typer.Option("--from", help="Caller number (default by --lang).")
    ] = None,
    called: Annotated[
        str, typer.Option("--to", help="The hotline number dialled.")
    ] = DEFAULT_CALLED,
    lang: Annotated[str, typer.Option(help="The caller's language: en-US or zh-CN.")] = "en-US",
    press: Annotated[list[str] | None, typer.Option(help="Keys for the next Gather.")] = None,
    say: Annotated[list[str] | None, typer.Option(help="Words for the next Gather.")] = None,
    audio: Annotated[
        list[Path] | None,
        typer.Option(exists=True, dir_okay=False, help="Audio file for the next Record."),
    ] = None,
    script: Annotated[
        Path | None, typer.Option(help="YAML/JSON list of steps (press, say, audio, ...).")
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="IVR_TWILIO_AUTH_TOKEN", help="Auth token to sign with."),
    ] = None,
    agent: Annotated[
        str, typer.Option(help="How a <Dial> is answered: answer, no-answer, busy, failed.")
    ] = "answer",
    agent_seconds: Annotated[float, typer.Option(help="Talk time when answered.")] = 60.0,
    realtime: Annotated[bool, typer.Option(help="Really wait through pauses.")] = False,
    max_requests: Annotated[int, typer.Option(help="Hang up after this many requests.")] = 200,
    max_wait_rounds: Annotated[
        int, typer.Option(help="Hang up after this many queue rounds.")
    ] = 50,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the TwiML.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the call record as JSON.")] = False,
    keep_recordings: Annotated[
        float,
        typer.Option(
            min=0,
            help="Seconds to keep serving recordings after the call, until fetched.",
        ),
    ] = RECORDING_LINGER_SECONDS,
) -> None:
    """Call the service as Twilio would; interactive when given no steps.

    Steps run in the order given: each --press or --say answers the next Gather,
    each --audio the next Record. Example: ivr call --press 1 --say "I lost my card".
    A --script file is a YAML list such as [{press: "1"}, {say: "..."}, {silence: true},
    {wait: 2}, {agent: no-answer}, {hangup: true}].
    """
    if lang not in LANGUAGES:
        raise typer.BadParameter(
            f"{lang!r} is not one of {', '.join(LANGUAGES)}", param_hint="--lang"
        )
    try:
        agent_step = agent_outcome(agent, seconds=agent_seconds)
        steps = ordered_steps(
            ctx.meta.get("ivr.call.order", []), press=press or [], say=say or [], audio=audio or []
        )
        if script is not None:
            steps += load_script(script)
        base_url = url or service_url(Settings())
        auth_token = _auth_token(token)
    except IvrError as exc:
        typer.echo(f"ivr call: {exc}", err=True)
        raise typer.Exit(2) from exc
    write: Callable[[str], None] = _quiet if as_json else typer.echo
    carrier = Carrier(
        base_url=base_url,
        auth_token=auth_token,
        agent=agent_step,
        limits=Limits(max_requests=max_requests, max_wait_rounds=max_wait_rounds),
        realtime=realtime,
        observer=console_observer(write, verbose=verbose),
        # The service fetches a recording after the call may have ended, as from Twilio.
        recording_linger=keep_recordings,
        # Skipped pauses, waits and talk move a local service's clock too (ivr.clock).
        move_service_clock=not realtime,
    )
    interactive = None if steps else InteractiveCaller(write=typer.echo)
    write(f"☎ calling {carrier.voice_url} from {caller or 'the default number'} ({lang})")
    record = asyncio.run(
        carrier.place_call(
            steps, caller=caller, called=called, language=lang, caller_input=interactive
        )
    )
    if as_json:
        typer.echo(json.dumps(asdict(record), default=str, ensure_ascii=False, indent=2))
    else:
        typer.echo(_summary(record))
    for error in record.errors:
        typer.echo(f"ivr call: {error}", err=True)
    if record.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `ivr call` to the `ivr` app."""
    app.command("call", cls=_StepOrderCommand)(call)
