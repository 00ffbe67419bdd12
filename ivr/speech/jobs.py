"""The transcription job queue (arq over Redis).

The flow engine submits a call's recording from the Record webhook and polls
`transcription_outcome` (or, for a message, `speech_check`) while the caller
hears "one moment". A worker (one inside `ivr serve`, more with `ivr worker`)
runs `ivr.speech.transcription.transcribe_call`: it fetches the recording,
checks it for speech, transcribes and measures it, stores the outcome under
keys.transcription() and appends a call event, so the ticket gets the
transcript even when it arrives after the deadline and the caller was already
routed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

import redis.asyncio as aioredis
from arq import func
from arq.connections import ArqRedis, RedisSettings
from arq.worker import Worker

from ivr.config import Settings
from ivr.errors import AudioError
from ivr.keys import Keys
from ivr.logs import bind_call
from ivr.speech.models import TranscriptionOutcome
from ivr.speech.recognize import Transcriber
from ivr.speech.transcription import Reader, speech_check, transcribe_call

__all__ = [
    "InProcessWorker",
    "Reader",
    "build_worker",
    "in_process_worker",
    "run_worker",
    "speech_check",
    "submit_transcription",
    "transcribe_call",
    "transcription_outcome",
]

log = logging.getLogger(__name__)

JOB_NAME = "transcribe_recording"
# Fetch retries, a 2-minute recording and a slow host all fit in this.
JOB_TIMEOUT_SECONDS = 120


def _job_id(keys: Keys, call_sid: str, recording_url: str) -> str:
    # arq's own keys (arq:job:<id>) carry our prefix through the id; one job per recording
    # (a carrier's retry names the same one; a caller asked to say it again makes another).
    digest = hashlib.sha1(recording_url.encode()).hexdigest()[:12]
    return f"{keys.prefix}transcribe:{call_sid}:{digest}"


def _arq_client(redis: aioredis.Redis) -> ArqRedis:
    """An arq view of `redis`'s connection pool (arq needs undecoded bytes)."""
    pool = redis.connection_pool
    if pool.connection_kwargs.get("decode_responses"):
        kwargs = {**pool.connection_kwargs, "decode_responses": False}
        pool = pool.__class__(connection_class=pool.connection_class, **kwargs)
    return ArqRedis(connection_pool=pool)


async def submit_transcription(
    redis: aioredis.Redis,
    *,
    keys: Keys,
    settings: Settings,
    call_sid: str,
    recording_url: str,
    language: str,
    utterance: int = 0,
) -> None:
    """Queue the transcription of one call's recording; a repeated submit is ignored.

    The call's previous outcome, if any, is dropped: the newest recording is the one
    the caller waits for. `utterance` is the number the call gave the caller's words
    (ivr.calls.state.Utterance).
    """
    await redis.delete(keys.transcription(call_sid), keys.speech_check(call_sid))
    await _arq_client(redis).enqueue_job(
        JOB_NAME,
        call_sid,
        recording_url,
        language,
        utterance,
        _job_id=_job_id(keys, call_sid, recording_url),
        _queue_name=keys.arq_queue(),
        # Late is still useful (the ticket gets the transcript); older than the call is not.
        _expires=settings.call_ttl_seconds,
    )


async def transcription_outcome(
    redis: aioredis.Redis, *, keys: Keys, call_sid: str
) -> TranscriptionOutcome | None:
    """The finished outcome for `call_sid`, or None while the job is pending."""
    raw = await redis.get(keys.transcription(call_sid))
    if raw is None:
        return None
    return TranscriptionOutcome.model_validate_json(raw)


async def _transcribe_job(
    ctx: dict[str, Any], call_sid: str, recording_url: str, language: str, utterance: int = 0
) -> str:
    bind_call(call_sid)  # each job is a task of its own: its log lines name the call
    outcome = await transcribe_call(
        redis=ctx["redis"],
        keys=ctx["keys"],
        settings=ctx["settings"],
        transcriber=ctx["transcriber"],
        call_sid=call_sid,
        recording_url=recording_url,
        language=language,
        understanding=ctx.get("understanding"),
        utterance=utterance,
    )
    return outcome.status


def build_worker(
    settings: Settings,
    *,
    redis: ArqRedis | None = None,
    redis_url: str = "",
    transcriber: Transcriber | None = None,
    understanding: Reader | None = None,
    handle_signals: bool = True,
    burst: bool = False,
    max_jobs: int | None = None,
) -> Worker:
    """An arq worker for the transcription queue; call inside a running event loop."""
    keys = Keys(prefix=settings.redis_prefix)
    ctx: dict[str, Any] = {
        "settings": settings,
        "keys": keys,
        "transcriber": transcriber or Transcriber.from_settings(settings),
        "understanding": understanding,
    }
    url = redis_url or settings.redis_url
    if redis is None and not url:
        raise AudioError("the transcription worker needs IVR_REDIS_URL (or a Redis client)")
    return Worker(
        functions=[func(_transcribe_job, name=JOB_NAME, max_tries=1)],
        queue_name=keys.arq_queue(),
        redis_pool=redis,
        redis_settings=None if redis is not None else RedisSettings.from_dsn(url),
        ctx=ctx,
        handle_signals=handle_signals,
        burst=burst,
        # As many jobs at once as the engine lets transcribe at once (IVR_ASR_CONCURRENCY):
        # one more would only wait for a slot, holding its recording in memory.
        max_jobs=max_jobs or ctx["transcriber"].engine.concurrency,
        job_timeout=JOB_TIMEOUT_SECONDS,
        keep_result=0,
        poll_delay=0.2,
        health_check_key=f"{keys.arq_queue()}:health-check",
        log_results=False,
    )


async def run_worker(settings: Settings, *, redis_url: str = "", burst: bool = False) -> None:
    """Run a standalone transcription worker until SIGINT/SIGTERM (`ivr worker`)."""
    from ivr.nlu.understanding import Understanding

    understanding = await asyncio.to_thread(
        Understanding.load, settings.routing_dir, cache_dir=settings.model_cache_dir
    )
    worker = build_worker(settings, redis_url=redis_url, burst=burst, understanding=understanding)
    try:
        await worker.async_run()
    finally:
        await worker.close()


class InProcessWorker:
    """The transcription worker `ivr serve` runs beside the web app."""

    def __init__(
        self,
        settings: Settings,
        *,
        redis: aioredis.Redis | None = None,
        transcriber: Transcriber | None = None,
        understanding: Reader | None = None,
    ) -> None:
        self._settings = settings
        self._redis = redis
        self._transcriber = transcriber
        self._understanding = understanding
        self._worker: Worker | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Build the decoder (off the loop) and start taking jobs in the background."""
        transcriber = self._transcriber or await asyncio.to_thread(
            Transcriber.from_settings, self._settings
        )
        self._transcriber = transcriber
        self._task = asyncio.create_task(self._supervise(), name="transcription-worker")

    async def _supervise(self) -> None:
        """Run the worker; when Redis goes away and the worker dies, start it again."""
        delay = 0.5
        while True:
            pool = _arq_client(self._redis) if self._redis is not None else None
            self._worker = build_worker(
                self._settings,
                redis=pool,
                transcriber=self._transcriber,
                understanding=self._understanding,
                handle_signals=False,
            )
            try:
                await self._worker.async_run()
                return
            except Exception as exc:
                log.warning("transcription worker stopped (%r); restarting in %.1f s", exc, delay)
            with contextlib.suppress(Exception):
                await self._worker.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    async def close(self) -> None:
        """Stop taking jobs; a job in progress is cancelled (its call routes without it)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._worker is not None:
            with contextlib.suppress(Exception):  # Redis may be gone as we stop
                await self._worker.close()
            self._worker = None


def in_process_worker(
    settings: Settings,
    *,
    redis: aioredis.Redis | None = None,
    understanding: Reader | None = None,
) -> InProcessWorker:
    """The worker `ivr serve` starts (await .start()) and stops (await .close())."""
    return InProcessWorker(settings, redis=redis, understanding=understanding)
