"""How the transcription workers keep up: the backlog and the real-time factor.

Each finished job adds its audio and processing seconds to one Redis hash
(keys.speech_workload), so every worker process on every machine counts into
the same totals; the backlog is the length of arq's queue. `ivr worker`
logs both after each job and `ivr worker --status` prints them.
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from ivr.keys import Keys
from ivr.speech.models import Transcript


class Workload(BaseModel):
    """The transcription queue's state and the workers' speed so far."""

    backlog: int = Field(ge=0, description="recordings waiting for a worker")
    jobs: int = Field(ge=0, description="transcriptions finished")
    audio_seconds: float = Field(ge=0.0)
    busy_seconds: float = Field(ge=0.0, description="time spent transcribing")
    last_real_time_factor: float | None = None
    updated_at: float | None = None

    @property
    def real_time_factor(self) -> float | None:
        """Processing seconds per second of audio over every job so far."""
        return self.busy_seconds / self.audio_seconds if self.audio_seconds > 0 else None

    def describe(self) -> str:
        """One line for a log or a terminal."""
        overall = self.real_time_factor
        rtf = f"{overall:.3f}" if overall is not None else "n/a"
        last = self.last_real_time_factor
        return (
            f"backlog {self.backlog}, {self.jobs} transcribed "
            f"({self.audio_seconds:.0f} s of audio), real-time factor {rtf}"
            + (f" (last {last:.3f})" if last is not None else "")
        )


async def record_job(redis: aioredis.Redis, *, keys: Keys, transcript: Transcript) -> None:
    """Count one finished transcription into the shared totals."""
    busy = transcript.real_time_factor * transcript.duration_seconds
    key = keys.speech_workload()
    async with redis.pipeline(transaction=True) as pipe:
        pipe.hincrby(key, "jobs", 1)
        pipe.hincrbyfloat(key, "audio_seconds", transcript.duration_seconds)
        pipe.hincrbyfloat(key, "busy_seconds", busy)
        pipe.hset(
            key,
            mapping={"last_rtf": transcript.real_time_factor, "updated_at": time.time()},
        )
        await pipe.execute()


async def read_workload(redis: aioredis.Redis, *, keys: Keys) -> Workload:
    """The backlog (queued jobs) and the totals so far."""
    raw: dict[Any, Any] = await redis.hgetall(keys.speech_workload())  # type: ignore[misc]
    fields = {
        (k.decode() if isinstance(k, bytes) else str(k)): (
            v.decode() if isinstance(v, bytes) else str(v)
        )
        for k, v in raw.items()
    }
    backlog = int(await redis.zcard(keys.arq_queue()))
    last = fields.get("last_rtf")
    updated = fields.get("updated_at")
    return Workload(
        backlog=backlog,
        jobs=int(fields.get("jobs", 0)),
        audio_seconds=float(fields.get("audio_seconds", 0.0)),
        busy_seconds=float(fields.get("busy_seconds", 0.0)),
        last_real_time_factor=float(last) if last is not None else None,
        updated_at=float(updated) if updated is not None else None,
    )
