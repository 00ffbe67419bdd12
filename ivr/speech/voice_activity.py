"""Whether a recording holds speech at all, measured before anyone waits for its words.

A voicemail of line hiss must not be called "saved", and the caller waits for this
answer, so it has to be quick and right. Loudness cannot tell: on the shared
recordings a real Mandarin caller on an 8 kHz line speaks at -44 dBFS, quieter than
a hiss at -39 dBFS. Whisper cannot tell either: given 12 s of line rumble (brown
noise) it writes "you" (or 驾驶). Silero VAD, the voice activity model that ships
inside faster-whisper (onnxruntime, one thread), heard 1.2-4.9 s of speech in every
speech clip tried (espeak-ng, real English and Mandarin, 8 kHz PCM and mu-law, speech
under hiss) and none in hiss, pink or brown noise, 50 Hz hum or digital silence, at
2-3 ms of CPU per second of audio (a two-minute message: about 0.3 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from pydub import AudioSegment

from ivr.errors import ConfigError

RATE = 16_000  # the VAD's rate, and the recogniser's
# Less than this is a breath, a click or the beep, not a message.
MIN_SPEECH_SECONDS = 0.5
# Silero's own defaults, except that short pauses do not end a span (a caller thinks).
SPEECH_PROBABILITY = 0.5
MIN_SPAN_MS = 250
MIN_PAUSE_MS = 300


@dataclass(frozen=True, slots=True)
class Heard:
    """A recording decoded to the recogniser's format, and how much of it is speech."""

    audio: AudioSegment  # 16 kHz, 16-bit mono, at the line's own level
    source_seconds: float
    speech_seconds: float

    @property
    def speech(self) -> bool:
        """Whether the caller said anything worth keeping as words."""
        return self.speech_seconds >= MIN_SPEECH_SECONDS

    @property
    def level_dbfs(self) -> float | None:
        """The recording's loudness (None for digital silence), for the ticket."""
        level = float(self.audio.dBFS)
        return round(level, 1) if np.isfinite(level) else None


@lru_cache(maxsize=1)
def _vad() -> tuple[Any, Any]:
    """faster-whisper's VAD functions, imported once (the import loads its ONNX runtime)."""
    try:
        from faster_whisper.vad import VadOptions, get_speech_timestamps
    except ImportError as exc:  # a dependency of the service: a broken install
        raise ConfigError(f"faster-whisper's voice activity model is missing: {exc}") from exc
    return VadOptions, get_speech_timestamps


def speech_seconds(audio: AudioSegment) -> float:
    """Seconds of `audio` (16 kHz, 16-bit mono) that the VAD hears as speech."""
    if audio.frame_rate != RATE or len(audio) == 0:
        raise ValueError("speech_seconds wants 16 kHz audio that is not empty")
    options_type, timestamps = _vad()
    samples = np.frombuffer(audio.raw_data, dtype="<i2").astype(np.float32) / 32768.0
    options = options_type(
        threshold=SPEECH_PROBABILITY,
        min_speech_duration_ms=MIN_SPAN_MS,
        min_silence_duration_ms=MIN_PAUSE_MS,
        speech_pad_ms=0,
    )
    spans = timestamps(samples, options, sampling_rate=RATE)
    samples_heard = sum(int(span["end"]) - int(span["start"]) for span in spans)
    return round(samples_heard / RATE, 2)
