"""Real speech for the speech tests: espeak-ng voices, turned into phone-quality files."""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr.config import PROJECT_DIR, Settings
from ivr.speech.recognize import Transcriber


def shared_speech() -> Path:
    """Real recorded speech with transcripts (LJ Speech, AISHELL-1) in ../shared, read in
    place (CI lays a copy of shared/ beside the clone)."""
    for candidate in (
        PROJECT_DIR.parent / "shared" / "data" / "speech",
        Path("/work/shared/data/speech"),
    ):
        if (candidate / "manifest.csv").is_file():
            return candidate
    pytest.fail("the shared recordings are missing: expected ../shared/data/speech/manifest.csv")


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
def speech_settings(tmp_path_factory: pytest.TempPathFactory, whisper_model_dir: Path) -> Settings:
    """Settings for the session-wide decoders: the shipped vocabulary, a private data dir."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("speech-var"),
        config_dir=PROJECT_DIR,
        asr_model_path=str(whisper_model_dir),
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture(scope="session")
def transcriber(speech_settings: Settings) -> Iterator[Transcriber]:
    """The pocketsphinx fallback with the bank's model, one for the whole session."""
    yield Transcriber.from_settings(speech_settings, engine="sphinx")


@pytest.fixture(scope="session")
def whisper(speech_settings: Settings) -> Iterator[Transcriber]:
    """Whisper (the default engine), its model assembled and loaded once per session."""
    yield Transcriber.from_settings(speech_settings, engine="whisper")


@dataclass(frozen=True)
class Recorded:
    """A real recording from ../shared/data/speech as the phone line delivers it."""

    path: Path
    text: str
    language: str


def on_the_phone(name: str, out: Path, *, mulaw: bool = False) -> Recorded:
    """Shared recording `name` (e.g. "zh/022.wav") as a carrier records it: 8 kHz mono,
    300-3400 Hz, 16-bit PCM or mu-law WAV, written to `out`."""
    shared = shared_speech()
    with (shared / "manifest.csv").open(encoding="utf-8", newline="") as rows:
        row = next(r for r in csv.DictReader(rows) if r["file"] == name)
    codec = "pcm_mulaw" if mulaw else "pcm_s16le"
    band = "highpass=f=300,lowpass=f=3400"
    command = ["ffmpeg", "-y", "-loglevel", "error", "-i", str(shared / name), "-af", band]
    subprocess.run([*command, "-ar", "8000", "-ac", "1", "-acodec", codec, str(out)], check=True)
    return Recorded(out, row["text"], "zh-CN" if row["lang"] == "zh" else "en-US")


@pytest.fixture(scope="session")
def phone_recordings(speech_dir: Path) -> dict[str, Recorded]:
    """A few of the shared real recordings at 8 kHz, band-limited, PCM and mu-law (read in
    place; the converted copies live in the session's temporary folder)."""
    names = ("zh/005.wav", "zh/009.wav", "zh/022.wav", "en/006.wav", "en/017.wav")
    out = {}
    for i, name in enumerate(names):
        out[name] = on_the_phone(name, speech_dir / name.replace("/", "-"), mulaw=i % 2 == 1)
    return out
