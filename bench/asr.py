"""Word accuracy and real-time factor: our pipeline beside SpeechRecognition's stock Sphinx.

Run by hand: `.venv/bin/python bench/asr.py [--banking N] [--voices K]`.

Both recognisers hear the same files in the same run: sentences spoken by
espeak-ng in several voices and speeds, turned into 8 kHz phone audio (PCM
WAV, mu-law WAV, MP3). The sentences are the held-out dev set
(tests/data/asr_dev.txt) and, when the BANKING77 data is on this machine,
a sample of its training sentences (read here, never stored).
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import speech_recognition as sr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ivr.config import Settings  # noqa: E402
from ivr.speech.audio import decode  # noqa: E402
from ivr.speech.recognize import Transcriber, word_accuracy  # noqa: E402

BANKING77 = Path("/work/shared/data/banking77/train.csv")
VOICES = (("en-us", 150), ("en-gb", 165), ("en+f3", 145), ("en-us+m3", 175), ("en-us+f4", 190))
FORMATS = {
    "wav": (["-acodec", "pcm_s16le"], "wav"),
    "mulaw": (["-acodec", "pcm_mulaw"], "wav"),
    "mp3": (["-acodec", "libmp3lame", "-b:a", "32k"], "mp3"),
}


def sentences(banking: int) -> list[tuple[str, str]]:
    """(set name, sentence) pairs: the dev set and a seeded BANKING77 sample."""
    dev = [
        line.strip()
        for line in (ROOT / "tests" / "data" / "asr_dev.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    chosen = [("dev", s) for s in dev]
    if banking and BANKING77.is_file():
        with BANKING77.open(newline="") as rows:
            texts = [row["text"] for row in csv.DictReader(rows)]
        chosen += [("banking77", s) for s in random.Random(77).sample(texts, banking)]
    return chosen


def render(text: str, folder: Path, index: int, voices: int) -> tuple[Path, str]:
    """One sentence as phone audio, voice, speed and format chosen by its index."""
    voice, wpm = VOICES[index % voices]
    fmt = list(FORMATS)[index % len(FORMATS)]
    raw = folder / f"{index}.raw.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-w", str(raw), text], check=True)
    codec, suffix = FORMATS[fmt]
    out = folder / f"{index}.{fmt}.{suffix}"
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
            *codec,
            str(out),
        ],
        check=True,
    )
    return out, f"{voice}/{wpm}/{fmt}"


def stock_sphinx(recognizer: sr.Recognizer, path: Path) -> str:
    """SpeechRecognition's recognize_sphinx with its stock model, as an app would call it."""
    segment = decode(path.read_bytes(), max_seconds=600).set_channels(1).set_sample_width(2)
    audio = sr.AudioData(segment.raw_data, segment.frame_rate, 2)
    try:
        return str(recognizer.recognize_sphinx(audio))
    except sr.UnknownValueError:
        return ""


def main() -> None:
    """Print per-set word accuracy and real-time factor of both, and their ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--banking", type=int, default=40, help="BANKING77 sentences to add")
    parser.add_argument("--voices", type=int, default=len(VOICES), help="how many voices to rotate")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "var", _env_file=None)  # type: ignore[call-arg]
        started = time.perf_counter()
        ours = Transcriber.from_settings(settings)
        print(f"our decoder built in {time.perf_counter() - started:.2f} s (once per process)")
        recognizer = sr.Recognizer()
        totals: dict[tuple[str, str], list[float]] = {}
        for index, (name, text) in enumerate(sentences(args.banking)):
            path, how = render(text, Path(tmp), index, args.voices)
            t0 = time.perf_counter()
            transcript = ours.transcribe(path.read_bytes())
            t1 = time.perf_counter()
            stock_text = stock_sphinx(recognizer, path)
            t2 = time.perf_counter()
            seconds = transcript.duration_seconds
            rows = {
                "ours": (word_accuracy(text, transcript.text), (t1 - t0) / seconds),
                "stock": (word_accuracy(text, stock_text), (t2 - t1) / seconds),
            }
            for system, (accuracy, rtf) in rows.items():
                for key in ((name, system), ("all", system)):
                    acc = totals.setdefault(key, [0.0, 0.0, 0.0])
                    acc[0] += accuracy
                    acc[1] += rtf
                    acc[2] += 1
            if args.verbose:
                print(f"{how:22} ours {rows['ours'][0]:.2f} stock {rows['stock'][0]:.2f} | {text}")
                print(f"{'':22} ours:  {transcript.text}\n{'':22} stock: {stock_text}")
        for name in sorted({n for n, _ in totals}):
            o, s = totals[(name, "ours")], totals[(name, "stock")]
            acc_o, acc_s = o[0] / o[2], s[0] / s[2]
            rtf_o, rtf_s = o[1] / o[2], s[1] / s[2]
            print(
                f"{name:10} n={int(o[2]):3}  word accuracy ours {acc_o:.3f} stock {acc_s:.3f} "
                f"ratio {acc_o / max(acc_s, 1e-9):.2f}x | real-time factor ours {rtf_o:.3f} "
                f"stock {rtf_s:.3f} ratio {rtf_o / max(rtf_s, 1e-9):.2f}"
            )


if __name__ == "__main__":
    main()
