"""Audio preparation with pydub: formats, phone quality, trimming, and every kind of bad input."""

from __future__ import annotations

import io
import struct
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr.errors import AudioError
from ivr.speech.audio import TARGET_RATE, decode, pcm_to_float, prepare, split_long

RATE_8K = 8000


def _wav(samples: np.ndarray, rate: int = RATE_8K) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.clip(samples, -32768, 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _tone(seconds: float, hz: float = 300.0, level: float = 0.3, rate: int = RATE_8K) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return level * 32767 * np.sin(2 * np.pi * hz * t)


def test_every_phone_format_becomes_16k_mono_16_bit(dev_clips: list[Any]) -> None:
    for clip in dev_clips[:3]:  # WAV, mu-law WAV, MP3
        prepared = prepare(clip.path.read_bytes(), max_seconds=120)
        assert prepared.audio.frame_rate == TARGET_RATE
        assert prepared.audio.channels == 1
        assert prepared.audio.sample_width == 2
        assert 1.0 < prepared.seconds <= prepared.source_seconds
        # Loudness is normalised to about -20 dBFS and never clipped.
        assert -23 < prepared.audio.dBFS < -17
        assert prepared.audio.max_dBFS <= -0.9


def test_mu_law_is_decoded_to_16_bits_not_8(speech_dir: Path, dev_clips: list[Any]) -> None:
    source = next(c for c in dev_clips if c.format == "wav").path
    mulaw = speech_dir / "same.mulaw.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(source),
            "-acodec",
            "pcm_mulaw",
            str(mulaw),
        ],
        check=True,
    )
    pcm = np.frombuffer(decode(source.read_bytes(), max_seconds=60).raw_data, "<i2")
    law = np.frombuffer(decode(mulaw.read_bytes(), max_seconds=60).raw_data, "<i2")
    assert len(law) == len(pcm)
    # 8-bit linear decoding moves in steps of 256: quiet samples would be lost.
    assert np.any((np.abs(law) > 0) & (np.abs(law) < 128))
    quiet = np.abs(pcm) < 500
    assert np.max(np.abs(law[quiet].astype(int) - pcm[quiet])) <= 32  # 8-bit: up to 128
    assert np.corrcoef(law, pcm)[0, 1] > 0.999


def test_silence_around_speech_is_trimmed() -> None:
    silence = np.zeros(RATE_8K * 2)
    data = _wav(np.concatenate([silence, _tone(1.0), silence]))
    prepared = prepare(data, max_seconds=60)
    assert prepared.source_seconds == pytest.approx(5.0, abs=0.01)
    assert 1.0 <= prepared.seconds < 1.6


def test_long_audio_is_split_at_pauses() -> None:
    pieces = [np.concatenate([_tone(4.0, 200 + 20 * i), np.zeros(RATE_8K // 2)]) for i in range(10)]
    prepared = prepare(_wav(np.concatenate(pieces)), max_seconds=120)
    assert len(prepared.chunks) >= 3
    assert all(len(c) <= 15_000 for c in prepared.chunks)
    assert sum(len(c) for c in prepared.chunks) == len(prepared.audio)
    assert split_long(prepared.audio[:5000]) == (prepared.audio[:5000],)


def _two_hour_mulaw_wav(path: Path) -> bytes:
    frames = 2 * 3600 * RATE_8K
    header = b"RIFF" + struct.pack("<I", 36 + frames) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, 7, 1, RATE_8K, RATE_8K, 1, 8)
    header += b"data" + struct.pack("<I", frames)
    path.write_bytes(header + b"\xff" * frames)
    return path.read_bytes()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("empty", "empty"),
        ("garbage", "not audio we can decode"),
        ("truncated", "not audio we can decode|no audio"),
        ("header_only", "no audio|not audio we can decode"),
        ("silence", "silence only"),
        ("too_long", "7200 s long"),
        ("html", "not audio we can decode"),
    ],
)
def test_bad_audio_is_a_clear_error(tmp_path: Path, case: str, message: str) -> None:
    good = _wav(_tone(1.0))
    data = {
        "empty": lambda: b"",
        "garbage": lambda: bytes(range(256)) * 20,
        "truncated": lambda: good[:30],
        "header_only": lambda: good[:44],
        "silence": lambda: _wav(np.zeros(RATE_8K * 3)),
        "too_long": lambda: _two_hour_mulaw_wav(tmp_path / "two_hours.wav"),
        "html": lambda: b"<!doctype html><html><body>Sign in</body></html>",
    }[case]()
    with pytest.raises(AudioError, match=message):
        prepare(data, max_seconds=120)


def test_float_samples_are_in_range() -> None:
    samples = pcm_to_float(np.array([-32768, 0, 32767], dtype="<i2").tobytes())
    assert samples.min() == -1.0
    assert samples.max() < 1.0
