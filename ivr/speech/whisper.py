"""Whisper base through faster-whisper: the transcription engine for both languages.

CTranslate2 int8 on the CPU, one thread per transcription, beam 5 at
temperature 0, and the language the caller chose in the menu (never
detected: a few words of phone audio fool detection). The model is loaded
once per process and shared: CTranslate2 runs up to `workers` transcriptions
at once on one copy of the weights, so `ivr worker --concurrency N` costs N
cores, not N models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ivr.errors import AudioError, ConfigError
from ivr.speech.chinese import normalise_mandarin
from ivr.speech.whisper_model import assemble

WHISPER_LANGUAGES = {"en-US": "en", "zh-CN": "zh"}
BEAM_SIZE = 5
# Whisper's own rule for a window with no speech in it: the model says "no speech"
# and is unsure of the words it would otherwise write.
NO_SPEECH_ABOVE = 0.6
NO_SPEECH_LOGPROB_BELOW = -1.0


@dataclass(frozen=True, slots=True)
class Decoding:
    """How Whisper decodes: the settings bench/asr.py measures against each other."""

    beam_size: int = BEAM_SIZE
    # Per language: text Whisper reads as if said just before the audio, and words it
    # is nudged towards (bank vocabulary; bench/asr.py measures both against none).
    prompts: tuple[tuple[str, str], ...] = ()
    hotwords: tuple[tuple[str, str], ...] = ()

    def prompt(self, language: str) -> str | None:
        """The initial prompt for `language`, if any."""
        return dict(self.prompts).get(language)

    def hotword(self, language: str) -> str | None:
        """The hotwords for `language`, if any."""
        return dict(self.hotwords).get(language)


@lru_cache(maxsize=4)
def load_model(model_dir: Path, workers: int) -> Any:
    """The verified model, loaded once per process and worker count."""
    from faster_whisper import WhisperModel

    verified = assemble(model_dir)
    try:
        return WhisperModel(
            str(verified), device="cpu", compute_type="int8", cpu_threads=1, num_workers=workers
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ConfigError(f"IVR_ASR_MODEL_PATH: Whisper did not load {verified}: {exc}") from exc


def confidence_of(segments: list[Any]) -> float:
    """How sure the model was: exp of the mean token log-probability, weighted by length.

    faster-whisper gives each segment's average token log-probability; exp of it
    is the geometric mean token probability, which drops on mumbled or
    misheard words (bench/asr.py prints how it separates right from wrong).
    """
    if not segments:
        return 0.0
    weights = [max(1, len(s.text.strip())) for s in segments]
    total = sum(weights)
    logprob = sum(s.avg_logprob * w for s, w in zip(segments, weights, strict=True)) / total
    # ...and less when the model thought the window might hold no speech at all.
    no_speech = sum(s.no_speech_prob * w for s, w in zip(segments, weights, strict=True)) / total
    return float(min(1.0, max(0.0, math.exp(logprob) * (1.0 - no_speech))))


class WhisperEngine:
    """Whisper base (multilingual) with one shared model and a bounded number of users."""

    name = "whisper"

    def __init__(self, *, model_dir: Path, workers: int = 1, decoding: Decoding | None = None):
        if workers < 1:
            raise ConfigError("IVR_ASR_CONCURRENCY must be at least 1")
        self.concurrency = workers
        self.decoding = decoding or Decoding()
        # The Transcriber lets at most `concurrency` callers in at once, so none waits
        # in CTranslate2's queue behind another's transcription.
        self._model = load_model(model_dir, workers)

    def recognise(
        self, pcm: bytes, language: str, *, pitch_hz: float | None = None
    ) -> tuple[str, float]:
        """The words in 16 kHz 16-bit mono `pcm`, and the model's confidence (0..1)."""
        code = WHISPER_LANGUAGES.get(language)
        if code is None:
            raise AudioError(
                f"the whisper engine hears {', '.join(WHISPER_LANGUAGES)}, not {language}"
            )
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        found, _ = self._model.transcribe(
            audio,
            language=code,
            task="transcribe",
            beam_size=self.decoding.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,
            initial_prompt=self.decoding.prompt(language),
            hotwords=self.decoding.hotword(language),
            without_timestamps=True,
            vad_filter=False,
        )
        segments = [
            s
            for s in found
            if not (s.no_speech_prob > NO_SPEECH_ABOVE and s.avg_logprob < NO_SPEECH_LOGPROB_BELOW)
        ]
        if code == "zh":
            text = normalise_mandarin("".join(s.text.strip() for s in segments))
        else:
            text = " ".join(s.text.strip() for s in segments if s.text.strip())
        return text, round(confidence_of(segments), 4) if text else 0.0
