"""Voice cues measured on real speech: loud and fast ranks above calm and slow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ivr.speech.audio import TARGET_RATE, prepare
from ivr.speech.cues import measure
from ivr.speech.models import VoiceCues

SENTENCE = "I have called three times about this charge and nobody has fixed it"


def _cues(speech_dir: Path, name: str, *, wpm: int, amplitude: int, pitch: int) -> VoiceCues:
    import subprocess

    raw = speech_dir / f"{name}.raw.wav"
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            "en-us",
            "-s",
            str(wpm),
            "-a",
            str(amplitude),
            "-p",
            str(pitch),
            "-w",
            str(raw),
            SENTENCE,
        ],
        check=True,
    )
    phone = speech_dir / f"{name}.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(raw),
            "-ar",
            "8000",
            "-ac",
            "1",
            str(phone),
        ],
        check=True,
    )
    prepared = prepare(phone.read_bytes(), max_seconds=60)
    return measure(prepared.heard_samples(), TARGET_RATE)


def test_loud_fast_speech_ranks_above_calm_slow_speech(speech_dir: Path) -> None:
    agitated = _cues(speech_dir, "agitated", wpm=230, amplitude=190, pitch=75)
    calm = _cues(speech_dir, "calm", wpm=120, amplitude=30, pitch=35)
    assert agitated.loudness_dbfs > calm.loudness_dbfs + 6
    assert agitated.peak_dbfs > calm.peak_dbfs
    assert agitated.speech_rate > calm.speech_rate * 1.3
    assert agitated.duration_seconds < calm.duration_seconds
    assert agitated.pitch_hz is not None and calm.pitch_hz is not None
    assert agitated.pitch_hz > calm.pitch_hz
    for cues in (agitated, calm):
        assert 2.0 < cues.speech_rate < 12.0
        assert 0.0 <= cues.silence_share < 0.6
        assert cues.loudness_variance > 0


def test_pitch_of_a_known_tone() -> None:
    t = np.arange(TARGET_RATE) / TARGET_RATE
    tone = 0.5 * np.sin(2 * np.pi * 180.0 * t) + 0.2 * np.sin(2 * np.pi * 360.0 * t)
    cues = measure(tone, TARGET_RATE)
    assert cues.pitch_hz == pytest.approx(180.0, rel=0.03)
    assert cues.pitch_variance is not None and cues.pitch_variance < 5.0
    assert cues.peak_dbfs == pytest.approx(20 * np.log10(np.max(np.abs(tone))), abs=0.1)


def test_silence_and_pauses_are_counted() -> None:
    t = np.arange(TARGET_RATE) / TARGET_RATE
    burst = 0.3 * np.sin(2 * np.pi * 150.0 * t)
    audio = np.concatenate([burst, np.zeros(TARGET_RATE * 3)])
    cues = measure(audio, TARGET_RATE)
    assert cues.silence_share == pytest.approx(0.75, abs=0.05)
    assert cues.duration_seconds == pytest.approx(4.0)
