"""Real speech for the speech tests: espeak-ng voices, turned into phone-quality files."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.config import PROJECT_DIR, Settings
from ivr.speech.recognize import Transcriber

DEV_SET = PROJECT_DIR / "tests" / "data" / "asr_dev.txt"
# (voice, words per minute): men, women, British and American, slow to brisk.
VOICES = (("en-us", 150), ("en-gb", 165), ("en+f3", 145), ("en-us+m3", 175))
FORMATS = ("wav", "mulaw", "mp3")


@dataclass(frozen=True)
class Clip:
    """One spoken sentence on disk."""

    path: Path
    text: str
    voice: str
    format: str


def _dev_sentences() -> list[str]:
    lines = DEV_SET.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.fixture(scope="session")
def dev_sentences() -> list[str]:
    """The held-out bank sentences of tests/data/asr_dev.txt."""
    return _dev_sentences()


def speak(
    text: str, out: Path, *, voice: str, wpm: int, amplitude: int = 100, pitch: int = 50
) -> Path:
    """espeak-ng's rendering of `text` as a WAV file at `out`."""
    subprocess.run(
        [
            "espeak-ng",
            "-v",
            voice,
            "-s",
            str(wpm),
            "-a",
            str(amplitude),
            "-p",
            str(pitch),
            "-w",
            str(out),
            text,
        ],
        check=True,
    )
    return out


def phone_quality(source: Path, out: Path, fmt: str) -> Path:
    """`source` as a carrier would record it: 8 kHz mono WAV (PCM or mu-law) or MP3."""
    codec = {
        "wav": ["-acodec", "pcm_s16le"],
        "mulaw": ["-acodec", "pcm_mulaw"],
        "mp3": ["-acodec", "libmp3lame", "-b:a", "32k"],
    }[fmt]
    subprocess.run(
        [
            "ffmpeg",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(source),
            "-ar",
            "8000",
            "-ac",
            "1",
            *codec,
            str(out),
        ],
        check=True,
    )
    return out


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for this session's generated audio."""
    return tmp_path_factory.mktemp("speech")


@pytest.fixture(scope="session")
def dev_clips(speech_dir: Path) -> list[Clip]:
    """Every dev sentence spoken by a rotating voice and speed, in a rotating phone format."""
    clips = []
    for i, text in enumerate(_dev_sentences()):
        voice, wpm = VOICES[i % len(VOICES)]
        fmt = FORMATS[i % len(FORMATS)]
        raw = speak(text, speech_dir / f"dev{i}.raw.wav", voice=voice, wpm=wpm)
        suffix = "mp3" if fmt == "mp3" else "wav"
        clips.append(
            Clip(phone_quality(raw, speech_dir / f"dev{i}.{fmt}.{suffix}", fmt), text, voice, fmt)
        )
    return clips


@pytest.fixture(scope="session")
def speech_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for the session-wide decoder: the shipped vocabulary, a private data dir."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("speech-var"),
        config_dir=PROJECT_DIR,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def transcriber(speech_settings: Settings) -> Iterator[Transcriber]:
    """One decoder for the whole session, as a worker process keeps one."""
    yield Transcriber.from_settings(speech_settings)
