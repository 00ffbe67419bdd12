"""Speech to text: the offline recognisers behind one small interface.

`whisper` (faster-whisper with Whisper base, ivr.speech.whisper) is the
default for both languages when its model is installed; `sphinx`
(pocketsphinx with the bank's domain model, ivr.speech.vocabulary) is the
light English-only fallback, `sphinx_stock` the same without our model.
A Transcriber owns one engine for the life of the process (building one
costs 0.2-3 s) and lets as many transcriptions at once use it as the engine
allows (pocketsphinx decoders are not thread-safe: one).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from pocketsphinx import Config, Decoder, get_model_path

from ivr.config import Settings
from ivr.errors import AudioError, ConfigError
from ivr.speech import audio as audio_prep
from ivr.speech.cues import measure
from ivr.speech.models import Transcript
from ivr.speech.vocabulary import DomainModel, build_domain_model
from ivr.speech.voice_activity import Heard, speech_seconds
from ivr.speech.whisper import WhisperEngine
from ivr.speech.whisper_model import assemble, model_installed

log = logging.getLogger(__name__)

ENGINES = ("whisper", "sphinx", "sphinx_stock")
SPHINX_LANGUAGES = frozenset({"en-US"})
# Tuned on espeak-ng and phone audio (bench/asr.py): the domain model wants a
# strong language weight, and dither keeps digital silence from upsetting
# the feature normalisation.
SPHINX_OPTIONS: dict[str, Any] = {
    "lw": 8.0,
    # The second (flat) pass cost a third of the time for no measurable accuracy.
    "fwdflat": False,
    "dither": True,
    "seed": 1,
    "warp_type": "inverse_linear",
}
# Vocal tract length normalisation by voice pitch: the stock acoustic model
# fits low voices best with the spectrum stretched a little (0.9) and high
# voices compressed (1.2); per espeak voice this moved word accuracy from
# 0.22 to 0.44 for a high female voice and 0.24 to 0.27 for another.
LOW_VOICE_WARP = 0.9
HIGH_VOICE_WARP = 1.2
HIGH_VOICE_HZ = 150.0


# Synthetic, gated or heavily compressed audio has stretches of digital
# silence and near-silence the acoustic model never heard in training; a
# faint, fixed white noise (a real line's hiss) lifted word accuracy on phone
# audio from about 0.33 to 0.53 (bench/asr.py). Noise only above 4 kHz did not.
COMFORT_NOISE_DBFS = -55.0


def with_comfort_noise(pcm: bytes, dbfs: float | None) -> bytes:
    """16-bit PCM with deterministic white noise at `dbfs` added (unchanged when None)."""
    if dbfs is None:
        return pcm
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    noise = np.random.default_rng(0).normal(0.0, 32768.0 * 10 ** (dbfs / 20.0), len(samples))
    return bytes(np.clip(np.round(samples + noise), -32768, 32767).astype("<i2").tobytes())


class SpeechEngine(Protocol):
    """Turns 16 kHz 16-bit mono PCM into (text, confidence)."""

    name: str
    # How many recognise() calls may run at once.
    concurrency: int

    def recognise(
        self, pcm: bytes, language: str, *, pitch_hz: float | None = None
    ) -> tuple[str, float]:
        """The words heard in `pcm`, and how sure the engine is (0..1)."""
        ...


class SphinxEngine:
    """Pocketsphinx with one decoder, biased to the bank's vocabulary."""

    name = "sphinx"
    concurrency = 1

    def __init__(
        self,
        *,
        model: DomainModel | None,
        options: dict[str, Any] | None = None,
        noise_dbfs: float | None = COMFORT_NOISE_DBFS,
    ) -> None:
        self._noise_dbfs = noise_dbfs if model is not None else None
        settings: dict[str, Any] = {"hmm": get_model_path("en-us/en-us"), "logfn": os.devnull}
        if model is not None:
            settings |= {"lm": str(model.lm_path), "dict": str(model.dict_path)}
            settings |= SPHINX_OPTIONS if options is None else options
        # One decoder per voice band, built once: switching warps costs nothing per call.
        self._decoders: dict[bool, Decoder] = {}
        for high in (False, True):
            config = dict(settings)
            if model is not None and "warp_type" in config:
                config["warp_params"] = str(HIGH_VOICE_WARP if high else LOW_VOICE_WARP)
            try:
                self._decoders[high] = Decoder(Config(**config))
            except RuntimeError as exc:
                raise ConfigError(f"pocketsphinx did not start with {config}: {exc}") from exc
            if model is None:
                self._decoders[True] = self._decoders[False]
                break

    def recognise(
        self, pcm: bytes, language: str, *, pitch_hz: float | None = None
    ) -> tuple[str, float]:
        """Decode one utterance; confidence is the mean posterior of its words."""
        if language not in SPHINX_LANGUAGES:
            raise AudioError(
                f"the sphinx engine has no {language} model; IVR_ASR_ENGINE=whisper hears it"
            )
        decoder = self._decoders[pitch_hz is not None and pitch_hz >= HIGH_VOICE_HZ]
        decoder.start_utt()
        decoder.process_raw(with_comfort_noise(pcm, self._noise_dbfs), False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        if hyp is None or not hyp.hypstr.strip():
            return "", 0.0
        # pocketsphinx hands back word posteriors (already 0..1) from the lattice.
        posteriors = [s.prob for s in decoder.seg() if not s.word.startswith(("<", "[", "+"))]
        confidence = sum(posteriors) / len(posteriors) if posteriors else 0.0
        return hyp.hypstr.strip(), float(min(1.0, max(0.0, confidence)))


def engine_name(settings: Settings, engine: str | None = None) -> str:
    """`engine`, else IVR_ASR_ENGINE, else whisper when its model is installed (else sphinx)."""
    name = (engine or settings.asr_engine).strip().lower()
    if name:
        return "whisper" if name == "faster_whisper" else name
    return "whisper" if model_installed() else "sphinx"


def check_engine(settings: Settings) -> str:
    """The engine's name once its model is known good: for `ivr serve` and `ivr worker` to
    refuse to start (ConfigError) on a missing or corrupt Whisper model, before anything
    else starts; a fallback to pocketsphinx for want of the model is said out loud."""
    name = engine_name(settings)
    if name == "whisper":
        assemble(settings.asr_model_dir)
    elif name not in ENGINES:
        raise ConfigError(f"IVR_ASR_ENGINE: unknown engine {name!r}; one of {', '.join(ENGINES)}")
    elif not settings.asr_engine.strip():
        log.warning("the Whisper model is not installed: transcribing English only, with sphinx")
    return name


def load_engine(settings: Settings, *, engine: str | None = None) -> SpeechEngine:
    """The engine named by `engine_name`, built (or its model loaded) once by the caller.

    A Whisper model that is missing or fails its hash check is a ConfigError here,
    at start, never a quiet fallback to pocketsphinx.
    """
    name = engine_name(settings, engine)
    if name == "whisper":
        return WhisperEngine(model_dir=settings.asr_model_dir, workers=settings.asr_concurrency)
    if name in ("sphinx", "sphinx_stock"):
        model = None
        if name == "sphinx":
            model = build_domain_model(
                routing_dir=settings.routing_dir,
                flows_dir=settings.flows_dir,
                dictionary_path=Path(get_model_path("en-us/cmudict-en-us.dict")),
                cache_dir=settings.data_dir / "asr",
            )
        return SphinxEngine(model=model)
    raise ConfigError(f"IVR_ASR_ENGINE: unknown engine {name!r}; one of {', '.join(ENGINES)}")


class Transcriber:
    """Prepares audio, recognises it and measures the voice; one per process."""

    def __init__(self, *, engine: SpeechEngine, max_seconds: float) -> None:
        self.engine = engine
        self._max_seconds = max_seconds
        self._slots = threading.BoundedSemaphore(engine.concurrency)

    @classmethod
    def from_settings(cls, settings: Settings, *, engine: str | None = None) -> Transcriber:
        """A transcriber with the configured engine and recording limits."""
        return cls(
            engine=load_engine(settings, engine=engine), max_seconds=settings.recording_max_seconds
        )

    def transcribe(self, data: bytes, *, language: str = "en-US") -> Transcript:
        """The transcript and voice cues of one recording's bytes; AudioError when unusable."""
        started = time.perf_counter()
        prepared = audio_prep.prepare(data, max_seconds=self._max_seconds)
        return self._recognise(prepared, language=language, started=started)

    def listen(self, data: bytes) -> Heard:
        """Decode one recording and measure how much of it is speech, before any words:
        quick, so a caller can wait for it (AudioError when the bytes are not audio)."""
        source = audio_prep.decode(data, max_seconds=self._max_seconds)
        audio = audio_prep.to_recogniser_format(source)
        return Heard(
            audio=audio,
            source_seconds=len(source) / 1000.0,
            speech_seconds=speech_seconds(audio),
        )

    def words(self, heard: Heard, *, language: str = "en-US") -> Transcript:
        """The transcript and voice cues of a recording already `listen`ed to."""
        started = time.perf_counter()
        prepared = audio_prep.prepare_speech(heard.audio, source_seconds=heard.source_seconds)
        return self._recognise(prepared, language=language, started=started)

    def _recognise(
        self, prepared: audio_prep.PreparedAudio, *, language: str, started: float
    ) -> Transcript:
        # Cues first: the voice's pitch picks the decoder's frequency warp.
        cues = measure(prepared.heard_samples(), audio_prep.TARGET_RATE)
        texts: list[str] = []
        confidences: list[tuple[float, float]] = []
        with self._slots:
            for chunk in prepared.chunks:
                text, confidence = self.engine.recognise(
                    chunk.raw_data, language, pitch_hz=cues.pitch_hz
                )
                if text:
                    texts.append(text)
                    confidences.append((confidence, len(chunk)))
        elapsed = time.perf_counter() - started
        weight = sum(w for _, w in confidences)
        confidence = sum(c * w for c, w in confidences) / weight if weight else 0.0
        duration = prepared.source_seconds
        # Mandarin is written without spaces between words, and so between chunks.
        joiner = "" if language.startswith("zh") else " "
        return Transcript(
            text=joiner.join(texts),
            confidence=round(min(1.0, max(0.0, confidence)), 4),
            engine=self.engine.name,
            duration_seconds=duration,
            real_time_factor=round(elapsed / duration, 4) if duration > 0 else 0.0,
            cues=cues,
        )


def _accuracy(ref: list[str], hyp: list[str]) -> float:
    """1 - edit distance / reference length (floored at 0)."""
    if not ref:
        return 1.0 if not hyp else 0.0
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return max(0.0, 1.0 - row[-1] / len(ref))


def word_accuracy(reference: str, hypothesis: str) -> float:
    """1 - word error rate (floored at 0), on lower-cased words without punctuation."""
    from ivr.speech.lm import tokenize

    return _accuracy(tokenize(reference), tokenize(hypothesis))


def character_accuracy(reference: str, hypothesis: str) -> float:
    """1 - character error rate on simplified Chinese characters, punctuation dropped;
    numbers in the hypothesis written as words, as Mandarin references write them."""
    from ivr.speech.chinese import normalise_mandarin

    def chars(text: str) -> list[str]:
        return [c for c in normalise_mandarin(text) if c.isalnum()]

    return _accuracy(chars(reference), chars(hypothesis))
