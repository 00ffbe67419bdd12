"""One recording's job: fetched, checked for speech, transcribed, read, and logged.

The check comes first and is stored on its own (keys.speech_check): a caller who
left a message waits only for it (ivr.controller.voicemail), not for the words of
a two-minute message. A recording without speech is not transcribed, so no words
are made up for it (Whisper writes "you" for line rumble); its `speech.silent`
event keeps it on the ticket all the same. The outcome and the event are stored
even when they arrive after the caller moved on, so the ticket is complete.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

import redis.asyncio as aioredis

from ivr.config import Settings
from ivr.errors import IvrError
from ivr.events import CallEvent, EventLog, event_id
from ivr.keys import Keys
from ivr.nlu.models import Reading
from ivr.speech.fetch import fetch_recording
from ivr.speech.models import SpeechCheck, Transcript, TranscriptionOutcome, VoiceCues
from ivr.speech.recognize import Transcriber
from ivr.speech.voice_activity import Heard
from ivr.speech.workload import read_workload, record_job

log = logging.getLogger(__name__)


class Reader(Protocol):
    """What the job needs of understanding (ivr.nlu.understanding.Understanding)."""

    min_confidence: float

    def read(self, text: str, language: str, *, voice: VoiceCues | None = None) -> Reading:
        """Topic and emotion of `text`."""
        ...


async def speech_check(redis: aioredis.Redis, *, keys: Keys, call_sid: str) -> SpeechCheck | None:
    """Whether the call's newest recording holds speech, or None while it is being checked."""
    raw = await redis.get(keys.speech_check(call_sid))
    if raw is None:
        return None
    return SpeechCheck.model_validate_json(raw)


async def transcribe_call(
    *,
    redis: aioredis.Redis,
    keys: Keys,
    settings: Settings,
    transcriber: Transcriber,
    call_sid: str,
    recording_url: str,
    language: str,
    understanding: Reader | None = None,
    utterance: int = 0,
) -> TranscriptionOutcome:
    """Fetch, check, transcribe, store the outcome and log the event; never raises for bad audio.

    With `understanding`, the transcript is read once and the reading kept with the
    outcome and in the `speech.transcribed` event, beside the caller's `utterance`
    number (given when the call sent the recording).
    """
    check = SpeechCheck(
        call_sid=call_sid, recording_url=recording_url, utterance=utterance, status="failed"
    )
    try:
        data = await fetch_recording(recording_url, settings=settings)
        # Decoding is CPU work: off the event loop, so webhooks in `ivr serve` stay quick.
        heard = await asyncio.to_thread(transcriber.listen, data)
        check = _checked(check, heard)
        await _store_check(redis, keys, settings, check)
        if heard.speech:
            transcript = await asyncio.to_thread(transcriber.words, heard, language=language)
            outcome = TranscriptionOutcome(call_sid=call_sid, status="done", transcript=transcript)
            event_type, data_out = "speech.transcribed", _transcribed(transcript)
        else:
            outcome, event_type, data_out = _silent(check)
    except IvrError as exc:
        log.warning("transcription of %s failed: %s", call_sid, exc)
        outcome = TranscriptionOutcome(call_sid=call_sid, status="failed", error=str(exc))
        event_type, data_out = "speech.failed", {"error": str(exc)}
    except Exception as exc:  # a bug must still end the wait with an outcome
        log.exception("transcription of %s crashed", call_sid)
        error = f"internal error while transcribing: {type(exc).__name__}: {exc}"
        outcome = TranscriptionOutcome(call_sid=call_sid, status="failed", error=error)
        event_type, data_out = "speech.failed", {"error": error}
    if check.status == "failed":  # the caller waiting on the check hears it went wrong
        check.error = outcome.error
        await _store_check(redis, keys, settings, check)
    # The transcript is read here, once: the call keeps this reading (ivr.controller
    # takes it from the outcome), and a transcript that arrives after the caller was
    # routed still brings the ticket its topic and emotion, in this event.
    outcome.reading = _read(understanding, outcome, language)
    if outcome.reading is not None:
        data_out["utterance"] = utterance
        data_out["reading"] = outcome.reading.model_dump(mode="json")
        data_out["confident"] = (
            outcome.reading.topic_confidence >= understanding.min_confidence
            if understanding is not None
            else False
        )
    await redis.set(
        keys.transcription(call_sid), outcome.model_dump_json(), ex=settings.call_ttl_seconds
    )
    await _log(redis, keys, call_sid, recording_url, event_type, data_out)
    if outcome.transcript is not None:
        await _report(redis, keys, call_sid, outcome.transcript)
    return outcome


def _checked(check: SpeechCheck, heard: Heard) -> SpeechCheck:
    return check.model_copy(
        update={
            "status": "speech" if heard.speech else "silent",
            "speech_seconds": heard.speech_seconds,
            "duration_seconds": round(heard.source_seconds, 2),
            "level_dbfs": heard.level_dbfs,
        }
    )


def _transcribed(transcript: Transcript) -> dict[str, Any]:
    return {
        "text": transcript.text,
        "confidence": transcript.confidence,
        "engine": transcript.engine,
        "real_time_factor": transcript.real_time_factor,
        "duration": transcript.duration_seconds,
        "cues": transcript.cues.model_dump() if transcript.cues else None,
    }


def _silent(check: SpeechCheck) -> tuple[TranscriptionOutcome, str, dict[str, Any]]:
    """A recording without speech: kept on the ticket as what it is, with no words."""
    error = (
        f"the recording held no speech ({check.speech_seconds:g} s of speech "
        f"in {check.duration_seconds:g} s)"
    )
    outcome = TranscriptionOutcome(call_sid=check.call_sid, status="silent", error=error)
    data = {
        "recording_url": check.recording_url,
        "duration": check.duration_seconds,
        "speech_seconds": check.speech_seconds,
        "level_dbfs": check.level_dbfs,
        "utterance": check.utterance,
    }
    return outcome, "speech.silent", data


async def _store_check(
    redis: aioredis.Redis, keys: Keys, settings: Settings, check: SpeechCheck
) -> None:
    await redis.set(
        keys.speech_check(check.call_sid), check.model_dump_json(), ex=settings.call_ttl_seconds
    )


async def _log(
    redis: aioredis.Redis,
    keys: Keys,
    call_sid: str,
    recording_url: str,
    event_type: str,
    data: dict[str, Any],
) -> None:
    """The recording's one event (its id is the recording's, so a retried job writes it once)."""
    # On the service's clock (ivr.clock), as the call's other events are, so the words
    # take their place in the ticket's order even when the simulator moved the clock.
    offset = await redis.get(keys.clock_offset())
    at = time.time() + (float(offset) if offset is not None else 0.0)
    event = CallEvent(
        id=event_id(call_sid, f"transcription|{recording_url}"),
        call_sid=call_sid,
        at=at,
        type=event_type,
        data=data,
    )
    await EventLog(redis=redis, keys=keys).append([event])


async def _report(redis: aioredis.Redis, keys: Keys, call_sid: str, transcript: Transcript) -> None:
    """Count the job into the shared workload and log how the workers keep up."""
    try:
        await record_job(redis, keys=keys, transcript=transcript)
        workload = await read_workload(redis, keys=keys)
    except Exception as exc:  # counting must never lose a transcript
        log.warning("transcription workload not counted: %r", exc)
        return
    log.info(
        "transcribed %s: %.1f s of audio at real-time factor %.3f; %s",
        call_sid,
        transcript.duration_seconds,
        transcript.real_time_factor,
        workload.describe(),
    )


def _read(
    understanding: Reader | None, outcome: TranscriptionOutcome, language: str
) -> Reading | None:
    transcript = outcome.transcript
    if understanding is None or transcript is None or not transcript.text.strip():
        return None
    try:
        reading = understanding.read(transcript.text, language, voice=transcript.cues)
    except Exception:  # understanding never raises on text; a bug must not lose the transcript
        log.exception("reading the transcript of %s failed", outcome.call_sid)
        return None
    return reading
