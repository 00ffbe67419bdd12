"""The call controller's view of our own speech pipeline (ivr.speech.jobs)."""

from __future__ import annotations

import redis.asyncio as aioredis

from ivr.config import Settings
from ivr.ids import Language
from ivr.keys import Keys
from ivr.speech import jobs
from ivr.speech.models import SpeechCheck, TranscriptionOutcome
from ivr.speech.recognize import engine_name


class SpeechJobs:
    """Queues recordings for transcription and reads the outcomes."""

    def __init__(self, *, redis: aioredis.Redis, keys: Keys, settings: Settings) -> None:
        self._redis = redis
        self._keys = keys
        self._settings = settings
        self._engine = engine_name(settings)

    async def submit(
        self, *, call_sid: str, recording_url: str, language: Language, utterance: int = 0
    ) -> None:
        """Queue the recording; the worker fetches it only from allowed hosts."""
        await jobs.submit_transcription(
            self._redis,
            keys=self._keys,
            settings=self._settings,
            call_sid=call_sid,
            recording_url=recording_url,
            language=language,
            utterance=utterance,
        )

    async def outcome(self, *, call_sid: str) -> TranscriptionOutcome | None:
        """The finished outcome, or None while the job runs."""
        return await jobs.transcription_outcome(self._redis, keys=self._keys, call_sid=call_sid)

    async def speech_check(self, *, call_sid: str) -> SpeechCheck | None:
        """Whether the newest recording holds speech, or None while it is being checked."""
        return await jobs.speech_check(self._redis, keys=self._keys, call_sid=call_sid)

    def hears(self, language: Language) -> bool:
        """Whisper hears both languages; pocketsphinx (the fallback) English only."""
        return language is Language.EN_US or self._engine == "whisper"
