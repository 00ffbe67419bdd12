"""Transcription accuracy and real-time factor: Whisper beside pocketsphinx, in one run.

Run by hand: `.venv/bin/python bench/asr.py [--only real|espeak] [--decodings none,bank]`.

Every engine hears the same files in the same run:
- `real-en`, `real-zh`: the 45 real recordings in ../shared/data/speech (read in
  place), as a carrier records them: 8 kHz mono, 300-3400 Hz, 16-bit PCM and
  mu-law WAV (each file twice);
- `espeak-en`: the held-out bank sentences (tests/data/asr_dev.txt) spoken by
  espeak-ng in several voices, as 8 kHz PCM, mu-law and MP3.

Engines: `whisper` (ours, the default), `sphinx` (pocketsphinx with our bank
model), `stock` (SpeechRecognition's recognize_sphinx, stock model: the
baseline). Pocketsphinx has no Mandarin model. English is scored by word
accuracy, Mandarin by character accuracy (simplified, numbers as words). The
real-time factor is process CPU seconds per second of audio with Whisper on
one thread (CPU time, so other work on a shared machine does not count), and
wall-clock beside it. `--decodings` measures Whisper with bank words as an
initial prompt or as hotwords against none.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import speech_recognition as sr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.config import Settings  # noqa: E402
from ivr.speech.audio import decode  # noqa: E402
from ivr.speech.recognize import (  # noqa: E402
    Transcriber,
    character_accuracy,
    load_engine,
    word_accuracy,
)
from ivr.speech.whisper import Decoding, WhisperEngine  # noqa: E402

SHARED = next(
    (
        p
        for p in (ROOT.parent / "shared" / "data" / "speech", Path("/work/shared/data/speech"))
        if (p / "manifest.csv").is_file()
    ),
    None,
)
VOICES = (("en-us", 150), ("en-gb", 165), ("en+f3", 145), ("en-us+m3", 175), ("en-us+f4", 190))
CODECS = {
    "wav": (["-acodec", "pcm_s16le"], "wav"),
    "mulaw": (["-acodec", "pcm_mulaw"], "wav"),
    "mp3": (["-acodec", "libmp3lame", "-b:a", "32k"], "mp3"),
}
PHONE_BAND = ["-af", "highpass=f=300,lowpass=f=3400", "-ar", "8000", "-ac", "1"]
# Bank words for Whisper, measured against none (`--decodings`).
BANK_PROMPTS = (
    (
        "en-US",
        "Bank hotline. My credit card, debit card, PIN, account balance, statement, "
        "transfer, payment, loan, mortgage, online banking.",
    ),
    ("zh-CN", "银行客服热线。信用卡、借记卡、挂失、密码、账户余额、转账、还款、贷款、网上银行。"),
)
BANK_HOTWORDS = (
    ("en-US", "credit card debit card PIN balance statement transfer loan mortgage"),
    ("zh-CN", "信用卡 借记卡 挂失 余额 转账 还款 贷款 网上银行"),
)
DECODINGS = {
    "none": Decoding(),
    "bank": Decoding(prompts=BANK_PROMPTS),
    "hotwords": Decoding(hotwords=BANK_HOTWORDS),
}


@dataclass(frozen=True)
class Clip:
    """One file to transcribe, with what was said."""

    set: str
    path: Path
    text: str
    language: str
    how: str


def _ffmpeg(source: Path, out: Path, codec: list[str], band: list[str]) -> Path:
    command = ["ffmpeg", "-y", "-loglevel", "error", "-i", str(source), *band, *codec]
    subprocess.run([*command, str(out)], check=True)
    return out


def real_clips(folder: Path, formats: str, languages: tuple[str, ...]) -> list[Clip]:
    """The shared recordings at 8 kHz: plain PCM and mu-law (`both`), one of them, or
    each file once in turn (`alternate`)."""
    if SHARED is None:
        print("no ../shared/data/speech here: real recordings skipped")
        return []
    clips = []
    with (SHARED / "manifest.csv").open(encoding="utf-8", newline="") as rows:
        for number, row in enumerate(csv.DictReader(rows)):
            if row["lang"] not in languages:
                continue
            chosen = {"both": ("wav", "mulaw"), "wav": ("wav",), "mulaw": ("mulaw",)}.get(
                formats, (("wav", "mulaw")[number % 2],)
            )
            for fmt in chosen:
                out = folder / f"{row['file'].replace('/', '-')}.{fmt}.wav"
                _ffmpeg(SHARED / row["file"], out, CODECS[fmt][0], PHONE_BAND)
                language = "zh-CN" if row["lang"] == "zh" else "en-US"
                clips.append(Clip(f"real-{row['lang']}", out, row["text"], language, fmt))
    return clips


def espeak_clips(folder: Path) -> list[Clip]:
    """The dev bank sentences spoken by rotating espeak-ng voices, in rotating formats."""
    lines = (ROOT / "tests" / "data" / "asr_dev.txt").read_text().splitlines()
    texts = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    clips = []
    for index, text in enumerate(texts):
        voice, wpm = VOICES[index % len(VOICES)]
        fmt = list(CODECS)[index % len(CODECS)]
        raw = folder / f"espeak{index}.raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
        codec, suffix = CODECS[fmt]
        out = _ffmpeg(raw, folder / f"espeak{index}.{fmt}.{suffix}", codec, ["-ar", "8000"])
        clips.append(Clip("espeak-en", out, text, "en-US", f"{voice}/{wpm}/{fmt}"))
    return clips


def stock_sphinx(path: Path, language: str) -> str:
    """SpeechRecognition's recognize_sphinx with its stock model, as an app would call it."""
    segment = decode(path.read_bytes(), max_seconds=600).set_channels(1).set_sample_width(2)
    audio = sr.AudioData(segment.raw_data, segment.frame_rate, 2)
    try:
        return str(sr.Recognizer().recognize_sphinx(audio))
    except sr.UnknownValueError:
        return ""


@dataclass
class Tally:
    """Sums for one (set, engine)."""

    accuracy: float = 0.0
    cpu: float = 0.0
    wall: float = 0.0
    seconds: float = 0.0
    count: int = 0
    sure_right: list[float] | None = None
    sure_wrong: list[float] | None = None


def score(clip: Clip, text: str) -> float:
    """Word accuracy for English, character accuracy for Mandarin."""
    if clip.language == "zh-CN":
        return character_accuracy(clip.text, text)
    return word_accuracy(clip.text, text)


def run(clips: list[Clip], engines: dict[str, Callable[[Clip], tuple[str, float]]]) -> None:
    """Transcribe every clip with every engine that hears its language; print the table."""
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    verbose = os.environ.get("BENCH_VERBOSE")
    for number, clip in enumerate(clips, 1):
        seconds = decode(clip.path.read_bytes(), max_seconds=600).duration_seconds
        for name, transcribe in engines.items():
            if clip.language != "en-US" and not name.startswith("whisper"):
                continue
            cpu, wall = time.process_time(), time.perf_counter()
            text, confidence = transcribe(clip)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            accuracy = score(clip, text)
            tally = tallies[(clip.set, name)]
            tally.accuracy += accuracy
            tally.cpu += cpu
            tally.wall += wall
            tally.seconds += seconds
            tally.count += 1
            if confidence >= 0:
                bucket = "sure_right" if accuracy >= 0.9 else "sure_wrong"
                if getattr(tally, bucket) is None:
                    setattr(tally, bucket, [])
                getattr(tally, bucket).append(confidence)
            if verbose:
                print(f"  {clip.set} {clip.how} {name}: {accuracy:.2f} {confidence:.2f} | {text}")
        print(f"\r{number}/{len(clips)} clips", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    print(f"{'set':10} {'engine':16} {'n':>3} {'accuracy':>8} {'RTF cpu':>8} {'RTF wall':>8}  conf")
    for (name, engine), t in sorted(tallies.items()):
        right, wrong = t.sure_right or [], t.sure_wrong or []
        conf = " ".join(
            f"{label} {sum(values) / len(values):.2f} (n={len(values)})"
            for label, values in (("right", right), ("wrong", wrong))
            if values
        )
        print(
            f"{name:10} {engine:16} {t.count:3} {t.accuracy / t.count:8.3f} "
            f"{t.cpu / t.seconds:8.3f} {t.wall / t.seconds:8.3f}  {conf}"
        )


def main() -> None:
    """Build the engines once, transcribe every clip with each, print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("real", "espeak"), default=None)
    parser.add_argument("--languages", default="en,zh", help="real recordings: en, zh or both")
    parser.add_argument("--formats", choices=("both", "wav", "mulaw", "alternate"), default="both")
    parser.add_argument("--decodings", default="none", help="comma-separated: none,bank,hotwords")
    parser.add_argument("--no-sphinx", action="store_true", help="Whisper alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(data_dir=folder / "var", _env_file=None)  # type: ignore[call-arg]
        engines: dict[str, Callable[[Clip], tuple[str, float]]] = {}
        started = time.perf_counter()
        base = load_engine(settings, engine="whisper")
        assert isinstance(base, WhisperEngine)
        print(f"whisper loaded in {time.perf_counter() - started:.2f} s (once per process)")
        for name in args.decodings.split(","):
            engine = WhisperEngine(model_dir=settings.asr_model_dir, decoding=DECODINGS[name])
            transcriber = Transcriber(engine=engine, max_seconds=600)
            engines[f"whisper-{name}"] = _ours(transcriber)
        if not args.no_sphinx:
            engines["sphinx (ours)"] = _ours(Transcriber.from_settings(settings, engine="sphinx"))
            engines["sphinx (stock)"] = lambda clip: (stock_sphinx(clip.path, clip.language), -1.0)
        clips = []
        if args.only in (None, "real"):
            clips += real_clips(folder, args.formats, tuple(args.languages.split(",")))
        if args.only in (None, "espeak"):
            clips += espeak_clips(folder)
        run(clips, engines)


def _ours(transcriber: Transcriber) -> Callable[[Clip], tuple[str, float]]:
    def transcribe(clip: Clip) -> tuple[str, float]:
        transcript = transcriber.transcribe(clip.path.read_bytes(), language=clip.language)
        return transcript.text, transcript.confidence

    return transcribe


if __name__ == "__main__":
    main()
