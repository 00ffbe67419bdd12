"""`ivr transcribe FILE...` and `ivr worker`: the speech pipeline from the command line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from ivr.config import Settings
from ivr.errors import IvrError
from ivr.speech.models import Transcript


def _describe(path: Path, transcript: Transcript) -> str:
    cues = transcript.cues
    lines = [
        f"{path}:",
        f"  transcript: {transcript.text or '(nothing recognised)'}",
        f"  confidence: {transcript.confidence:.2f}   engine: {transcript.engine}",
        f"  duration: {transcript.duration_seconds:.2f} s   "
        f"real-time factor: {transcript.real_time_factor:.3f}",
    ]
    if cues is not None:
        pitch = f"{cues.pitch_hz:.0f} Hz" if cues.pitch_hz is not None else "n/a"
        lines.append(
            f"  voice: loudness {cues.loudness_dbfs:.1f} dBFS (peak {cues.peak_dbfs:.1f}, "
            f"variance {cues.loudness_variance:.1f}), pitch {pitch}, "
            f"rate {cues.speech_rate:.1f}/s, silence {cues.silence_share:.0%}"
        )
    return "\n".join(lines)


def _progress(files: list[Path]) -> Iterator[Path]:
    """The files, with a progress bar on stderr when there are several."""
    if len(files) < 2:
        yield from files
        return
    with typer.progressbar(files, label="transcribing", file=sys.stderr) as bar:
        yield from bar


def transcribe_command(
    files: Annotated[list[Path], typer.Argument(help="audio files (WAV, mu-law WAV, MP3, ...)")],
    engine: Annotated[
        str, typer.Option("--engine", help="whisper, sphinx or sphinx_stock (IVR_ASR_ENGINE)")
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
    lang: Annotated[str, typer.Option("--lang", help="language of the speech")] = "en-US",
) -> None:
    """Print transcript, confidence, duration, real-time factor and voice cues per file."""
    from ivr.speech.recognize import Transcriber

    try:
        transcriber = Transcriber.from_settings(Settings(), engine=engine or None)
    except IvrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    failed = 0
    results: list[tuple[Path, Transcript | str]] = []
    for path in _progress(files):
        try:
            results.append((path, transcriber.transcribe(path.read_bytes(), language=lang)))
        except (IvrError, OSError) as exc:
            failed += 1
            results.append((path, str(exc)))
    for path, result in results:
        if as_json:
            payload: dict[str, Any] = {"file": str(path)}
            if isinstance(result, Transcript):
                payload |= result.model_dump(mode="json")
            else:
                payload["error"] = result
            typer.echo(json.dumps(payload, ensure_ascii=False))
        elif isinstance(result, Transcript):
            typer.echo(_describe(path, result))
        else:
            typer.echo(f"{path}: error: {result}", err=True)
    if failed:
        raise typer.Exit(1)


def worker_command(
    redis_url: Annotated[
        str, typer.Option("--redis-url", help="Redis holding the job queue (IVR_REDIS_URL)")
    ] = "",
    burst: Annotated[bool, typer.Option("--burst", help="stop when the queue is empty")] = False,
    status: Annotated[
        bool, typer.Option("--status", help="print the backlog and real-time factor, then stop")
    ] = False,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", min=1, help="transcriptions at once, one model (IVR_ASR_CONCURRENCY)"
        ),
    ] = None,
) -> None:
    """Run a transcription worker on this machine until interrupted."""
    from ivr.connections import service_redis_url
    from ivr.speech.jobs import run_worker
    from ivr.speech.recognize import check_engine

    settings = Settings()
    if concurrency is not None:
        settings.asr_concurrency = concurrency
    url = redis_url or service_redis_url(settings.redis_url, settings.data_dir)
    if not url:
        typer.echo("error: set IVR_REDIS_URL or --redis-url to the service's Redis", err=True)
        raise typer.Exit(2)
    if status:
        typer.echo(asyncio.run(_workload(settings, url)).describe())
        return
    from ivr.logs import configure_logging

    configure_logging(settings.log_level)
    try:
        engine = check_engine(settings)
        typer.echo(
            f"ivr worker: {engine}, {settings.asr_concurrency} transcription(s) at once "
            "on one shared model; backlog and real-time factor are logged after each job",
            err=True,
        )
        asyncio.run(run_worker(settings, redis_url=url, burst=burst))
    except IvrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


async def _workload(settings: Settings, url: str) -> Any:
    """The shared transcription workload, read from the service's Redis."""
    import redis.asyncio as aioredis

    from ivr.keys import Keys
    from ivr.speech.workload import read_workload

    client = aioredis.Redis.from_url(url)
    try:
        return await read_workload(client, keys=Keys(prefix=settings.redis_prefix))
    finally:
        await client.aclose()


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `ivr` app."""
    app.command("transcribe")(transcribe_command)
    app.command("worker")(worker_command)
