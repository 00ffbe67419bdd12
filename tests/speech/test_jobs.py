"""The transcription queue end to end: real Redis, a real arq worker, a real media host."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from arq.connections import ArqRedis
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import Settings
from ivr.events import STREAM_FIELD, event_id
from ivr.keys import Keys
from ivr.speech.jobs import (
    InProcessWorker,
    build_worker,
    speech_check,
    submit_transcription,
    transcription_outcome,
)
from ivr.speech.recognize import Transcriber, word_accuracy
from ivr.speech.workload import read_workload


@pytest.fixture
def recordings(dev_clips: list[Any]) -> Iterator[tuple[str, dict[str, bytes]]]:
    """A media host on 127.0.0.1 serving files put into the returned dict."""
    files: dict[str, bytes] = {"/clip.wav": dev_clips[0].path.read_bytes()}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "audio/x-wav")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.block_on_close = False
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", files
    finally:
        server.shutdown()
        server.server_close()


async def _events(redis: aioredis.Redis, keys: Keys) -> list[dict[str, Any]]:
    entries = await redis.xrange(keys.events_stream())
    return [json.loads(fields[STREAM_FIELD]) for _, fields in entries]


async def _drain(redis: aioredis.Redis, settings: Settings, transcriber: Transcriber) -> None:
    """Run a real arq worker until the queue is empty."""
    worker = build_worker(
        settings,
        redis=ArqRedis(connection_pool=redis.connection_pool),
        transcriber=transcriber,
        handle_signals=False,
        burst=True,
    )
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def test_a_recording_is_transcribed_and_reaches_the_ticket(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    transcriber: Transcriber,
    recordings: tuple[str, dict[str, bytes]],
    dev_clips: list[Any],
) -> None:
    base, _ = recordings
    settings.recording_hosts = "127.0.0.1"
    for _ in range(2):  # a carrier retry of the Record webhook submits again
        await submit_transcription(
            redis,
            keys=keys,
            settings=settings,
            call_sid="CA1",
            recording_url=f"{base}/clip.wav",
            language="en-US",
        )
    # The deadline path: nothing is known while the job waits.
    assert await transcription_outcome(redis, keys=keys, call_sid="CA1") is None
    await _drain(redis, settings, transcriber)
    outcome = await transcription_outcome(redis, keys=keys, call_sid="CA1")
    assert outcome is not None and outcome.status == "done"
    assert outcome.transcript is not None and outcome.transcript.cues is not None
    assert word_accuracy(dev_clips[0].text, outcome.transcript.text) > 0.2
    assert 0 < await redis.ttl(keys.transcription("CA1")) <= settings.call_ttl_seconds
    events = await _events(redis, keys)
    assert [e["type"] for e in events] == ["speech.transcribed"]  # one job for two submits
    assert events[0]["id"] == event_id("CA1", f"transcription|{base}/clip.wav")
    assert events[0]["data"]["text"] == outcome.transcript.text
    assert events[0]["data"]["cues"]["speech_rate"] > 0
    check = await speech_check(redis, keys=keys, call_sid="CA1")
    assert check is not None and check.status == "speech" and check.speech_seconds > 0.5


async def test_a_recording_without_speech_is_kept_as_silent_and_never_transcribed(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    transcriber: Transcriber,
    recordings: tuple[str, dict[str, bytes]],
    tmp_path: Path,
) -> None:
    base, files = recordings
    hiss = tmp_path / "hiss.wav"
    command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(hiss)]
    subprocess.run([*command, "synth", "12", "brownnoise", "vol", "0.1"], check=True)
    files["/hiss.wav"] = hiss.read_bytes()
    settings.recording_hosts = "127.0.0.1"
    url = f"{base}/hiss.wav"
    await submit_transcription(
        redis,
        keys=keys,
        settings=settings,
        call_sid="CA5",
        recording_url=url,
        language="en-US",
        utterance=2,
    )
    await _drain(redis, settings, transcriber)
    check = await speech_check(redis, keys=keys, call_sid="CA5")
    assert check is not None and check.status == "silent" and check.recording_url == url
    assert check.duration_seconds == 12.0 and check.level_dbfs is not None
    outcome = await transcription_outcome(redis, keys=keys, call_sid="CA5")
    assert outcome is not None and outcome.status == "silent" and outcome.transcript is None
    [event] = await _events(redis, keys)
    assert event["type"] == "speech.silent"
    assert event["data"] == {
        "recording_url": url,
        "duration": 12.0,
        "speech_seconds": check.speech_seconds,
        "level_dbfs": check.level_dbfs,
        "utterance": 2,
    }
    # A new take of the call starts with nothing known about it.
    await submit_transcription(
        redis,
        keys=keys,
        settings=settings,
        call_sid="CA5",
        recording_url=url + "?2",
        language="en-US",
    )
    assert await speech_check(redis, keys=keys, call_sid="CA5") is None


async def test_a_failed_fetch_ends_with_a_clear_error_on_the_ticket(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    transcriber: Transcriber,
    recordings: tuple[str, dict[str, bytes]],
) -> None:
    base, files = recordings
    files["/noise.wav"] = b"RIFF....WAVEjunk"
    settings.recording_hosts = "127.0.0.1"
    await submit_transcription(
        redis,
        keys=keys,
        settings=settings,
        call_sid="CA2",
        recording_url="https://evil.example/r.wav",
        language="en-US",
    )
    await submit_transcription(
        redis,
        keys=keys,
        settings=settings,
        call_sid="CA3",
        recording_url=f"{base}/noise.wav",
        language="en-US",
    )
    await _drain(redis, settings, transcriber)
    foreign = await transcription_outcome(redis, keys=keys, call_sid="CA2")
    corrupt = await transcription_outcome(redis, keys=keys, call_sid="CA3")
    assert foreign is not None and foreign.status == "failed"
    assert "IVR_RECORDING_HOSTS" in (foreign.error or "")
    assert corrupt is not None and corrupt.status == "failed"
    assert "decode" in (corrupt.error or "")
    events = {e["call_sid"]: e for e in await _events(redis, keys)}
    assert events["CA2"]["type"] == "speech.failed"
    # A caller waiting on either check hears it could not be made.
    for call_sid, outcome in (("CA2", foreign), ("CA3", corrupt)):
        check = await speech_check(redis, keys=keys, call_sid=call_sid)
        assert check is not None and check.status == "failed" and check.error == outcome.error
    assert events["CA3"]["data"]["error"] == corrupt.error


async def test_the_in_process_worker_starts_and_stops(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    transcriber: Transcriber,
    recordings: tuple[str, dict[str, bytes]],
) -> None:
    import asyncio

    base, _ = recordings
    settings.recording_hosts = "127.0.0.1"
    worker = InProcessWorker(settings, redis=redis, transcriber=transcriber)
    await worker.start()
    try:
        await submit_transcription(
            redis,
            keys=keys,
            settings=settings,
            call_sid="CA4",
            recording_url=f"{base}/clip.wav",
            language="en-US",
        )
        outcome = None
        for _ in range(300):  # polls like the call's <Redirect> loop, up to a generous bound
            outcome = await transcription_outcome(redis, keys=keys, call_sid="CA4")
            if outcome is not None:
                break
            await asyncio.sleep(0.1)
        assert outcome is not None and outcome.status == "done"
    finally:
        await worker.close()


async def test_a_whisper_worker_shares_its_model_and_reports_backlog_and_speed(
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    speech_settings: Settings,
    recordings: tuple[str, dict[str, bytes]],
    phone_recordings: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, files = recordings
    settings.recording_hosts = "127.0.0.1"
    settings.asr_model_path = speech_settings.asr_model_path
    settings.asr_concurrency = 2
    # Two transcriptions at once, on one copy of the model.
    transcriber = Transcriber.from_settings(settings, engine="whisper")
    again = Transcriber.from_settings(settings, engine="whisper")
    assert transcriber.engine.concurrency == 2
    assert getattr(transcriber.engine, "_model") is getattr(again.engine, "_model")  # noqa: B009
    calls = {"CAzh1": "zh/009.wav", "CAzh2": "zh/022.wav", "CAen1": "en/017.wav"}
    for call_sid, name in calls.items():
        files[f"/{call_sid}.wav"] = phone_recordings[name].path.read_bytes()
        await submit_transcription(
            redis,
            keys=keys,
            settings=settings,
            call_sid=call_sid,
            recording_url=f"{base}/{call_sid}.wav",
            language=phone_recordings[name].language,
        )
    assert (await read_workload(redis, keys=keys)).backlog == 3
    worker = build_worker(
        settings,
        redis=ArqRedis(connection_pool=redis.connection_pool),
        transcriber=transcriber,
        handle_signals=False,
        burst=True,
    )
    assert worker.max_jobs == 2
    try:
        await worker.async_run()
    finally:
        await worker.close()
    for call_sid in calls:
        outcome = await transcription_outcome(redis, keys=keys, call_sid=call_sid)
        assert outcome is not None and outcome.transcript is not None, call_sid
        assert outcome.transcript.engine == "whisper"
    workload = await read_workload(redis, keys=keys)
    assert workload.backlog == 0 and workload.jobs == 3
    assert workload.audio_seconds > 5 and workload.real_time_factor is not None
    # `ivr worker --status` reads the same figures from the service's Redis.
    monkeypatch.setenv("IVR_REDIS_PREFIX", keys.prefix)
    monkeypatch.setenv("IVR_REDIS_URL", "redis://127.0.0.1:6379/0")
    shown = await asyncio.to_thread(CliRunner().invoke, app, ["worker", "--status"])
    assert shown.exit_code == 0, shown.output
    assert "backlog 0, 3 transcribed" in shown.output and "real-time factor" in shown.output
