"""Mandarin callers in their own words: recorded, transcribed by Whisper, read, ticketed.

The caller's words are real recorded Mandarin (../shared/data/speech, AISHELL-1)
squeezed to the carrier's 8 kHz, played into the `<Record>` by the simulated
carrier; espeak-ng's Mandarin is too far from a human voice to stand in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from ivr.config import Settings
from ivr.controller.speech_jobs import SpeechJobs
from ivr.ids import Language
from ivr.simulator.carrier import DEFAULT_ACCOUNT_SID
from ivr.simulator.recordings import RecordingServer
from ivr.simulator.script import Audio, Press
from ivr.speech.recognize import character_accuracy
from tests.speech.conftest import on_the_phone
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, with a deadline that a busy test machine cannot miss: these
    tests are about what is done with the transcript, not how quickly it comes."""
    settings.transcription_deadline_seconds = 120.0
    return settings


async def _with_reading(service: Service, record: Any, **expect: Any) -> dict[str, Any]:
    """The ticket once the worker's transcript and reading have joined it."""
    ticket = await ticket_of(service, record, **expect)
    for _ in range(600):  # a generous bound: a loaded machine transcribes slowly
        # The worker reads the words it transcribed and puts the reading in the same event.
        if any(
            e["type"] == "speech.transcribed" and e["data"].get("reading") for e in ticket["events"]
        ):
            return ticket
        await asyncio.sleep(0.2)
        ticket = await ticket_of(service, record, **expect)
    raise AssertionError(f"no transcript and reading joined {ticket['id']}: {ticket['events']}")


async def test_a_mandarin_voicemail_after_hours_becomes_a_ticket_with_its_words(
    service: Service, tmp_path: Path
) -> None:
    said = on_the_phone("zh/005.wav", tmp_path / "voicemail.wav")
    # Twilio keeps recordings after the call; so does this host, while the worker fetches.
    with RecordingServer(account_sid=DEFAULT_ACCOUNT_SID) as recordings:
        record = await service.carrier(recordings=recordings).place_call(
            [Press("2"), Press("3"), Audio(said.path)], language="zh-CN"
        )
        assert record.errors == []
        assert any("<Record" in r.body for r in record.requests)
        ticket = await _with_reading(service, record, outcome="voicemail")
    heard = next(e for e in ticket["events"] if e["type"] == "speech.transcribed")
    assert heard["data"]["engine"] == "whisper"
    words = heard["data"]["text"]
    assert character_accuracy(said.text, words) >= 0.7, words
    assert words in ticket["transcript"]
    # The reading of those words is the ticket's topic and emotion, as for English callers.
    reading = service.app.state.understanding.read(words, "zh-CN")
    assert ticket["language"] == "zh-CN"
    assert ticket["topic"] == reading.topic
    assert ticket["emotion"] == reading.emotion
    assert ticket["emotion_intensity"] is not None


async def test_a_mandarin_description_is_recorded_and_routes_the_caller(
    service: Service, tmp_path: Path
) -> None:
    await service.add_agent("bo", languages=["zh-CN"], skills={"digital_banking": 5})
    await service.add_agent("gus", languages=["zh-CN"], skills={"general": 5})
    said = on_the_phone("zh/005.wav", tmp_path / "describe.wav")
    record = await service.carrier().place_call(
        [Press("2"), Press("8"), Audio(said.path), Press("5")], language="zh-CN"
    )
    assert record.errors == []
    asked = "".join(r.body for r in record.requests)
    assert "<Record" in asked and "<Identity>bo</Identity>" in asked
    ticket = await ticket_of(service, record, csat=5)
    assert ticket["topic"] == "digital_banking"
    heard = next(e for e in ticket["events"] if e["type"] == "speech.transcribed")
    assert heard["data"]["engine"] == "whisper"
    assert character_accuracy(said.text, heard["data"]["text"]) >= 0.7


def test_with_the_sphinx_fallback_mandarin_goes_to_the_carriers_recogniser(
    settings: Settings,
) -> None:
    settings.asr_engine = "sphinx"
    jobs = SpeechJobs(redis=None, keys=None, settings=settings)  # type: ignore[arg-type]
    assert jobs.hears(Language.EN_US) and not jobs.hears(Language.ZH_CN)
    settings.asr_engine = "whisper"
    whisper = SpeechJobs(redis=None, keys=None, settings=settings)  # type: ignore[arg-type]
    assert whisper.hears(Language.ZH_CN)
