"""Voice cues: how loud, how varied, how high and how fast the caller spoke.

Measured with numpy on the decoded audio *before* loudness normalisation
(normalising would erase the very loudness we want to hear). The emotion
detector reads them: agitated callers are loud and fast, anxious ones fast
and high.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from ivr.speech.models import VoiceCues

FRAME_SECONDS = 0.025
HOP_SECONDS = 0.010
PITCH_WINDOW_SECONDS = 0.040
MIN_F0_HZ = 60.0
MAX_F0_HZ = 400.0
# A frame is speech when within this many dB of the loudest frames.
SPEECH_RANGE_DB = 30.0
FLOOR_DBFS = -60.0
VOICING_THRESHOLD = 0.45
_EPS = 1e-10


def _frames(samples: np.ndarray, rate: int, seconds: float) -> np.ndarray:
    """Overlapping frames (rows) of `seconds` each, one every HOP_SECONDS."""
    size = max(1, int(rate * seconds))
    hop = max(1, int(rate * HOP_SECONDS))
    if len(samples) < size:
        samples = np.pad(samples, (0, size - len(samples)))
    count = 1 + (len(samples) - size) // hop
    index = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    frames: np.ndarray = samples[index]
    return frames


def frame_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    """Per-frame level in dBFS (a full-scale sine is about -3 dBFS)."""
    frames = _frames(samples, rate, FRAME_SECONDS)
    power = np.mean(frames**2, axis=1)
    levels: np.ndarray = 10.0 * np.log10(power + _EPS)
    return levels


def speech_mask(levels: np.ndarray) -> np.ndarray:
    """Which frames hold speech rather than pause or line noise."""
    if levels.size == 0:
        return np.zeros(0, dtype=bool)
    top = float(np.percentile(levels, 95))
    mask: np.ndarray = levels > max(top - SPEECH_RANGE_DB, FLOOR_DBFS)
    return mask


def pitch_track(samples: np.ndarray, rate: int, mask: np.ndarray) -> np.ndarray:
    """F0 in Hz of the voiced speech frames (autocorrelation), others left out."""
    frames = _frames(samples, rate, PITCH_WINDOW_SECONDS)[: mask.size]
    frames = frames[mask[: len(frames)]]
    if frames.size == 0:
        return np.zeros(0)
    frames = frames - frames.mean(axis=1, keepdims=True)
    frames = frames * np.hanning(frames.shape[1])[None, :]
    n_fft = 1 << int(np.ceil(np.log2(2 * frames.shape[1])))
    spectrum = np.fft.rfft(frames, n=n_fft, axis=1)
    corr = np.fft.irfft(np.abs(spectrum) ** 2, n=n_fft, axis=1)[:, : frames.shape[1]]
    lo, hi = int(rate / MAX_F0_HZ), min(int(rate / MIN_F0_HZ), frames.shape[1] - 1)
    if hi <= lo:
        return np.zeros(0)
    lags = np.argmax(corr[:, lo:hi], axis=1) + lo
    strength = corr[np.arange(len(lags)), lags] / (corr[:, 0] + _EPS)
    voiced = strength > VOICING_THRESHOLD
    f0: np.ndarray = rate / lags[voiced].astype(np.float64)
    return f0


def syllable_rate(levels: np.ndarray, mask: np.ndarray) -> float:
    """Energy peaks (roughly syllables) per second of speech."""
    speech_seconds = float(mask.sum()) * HOP_SECONDS
    if speech_seconds <= 0:
        return 0.0
    # Smooth over ~50 ms so one syllable gives one peak.
    envelope = np.convolve(np.where(mask, levels, FLOOR_DBFS), np.ones(5) / 5, mode="same")
    peaks, _ = find_peaks(envelope, prominence=4.0, distance=int(0.1 / HOP_SECONDS))
    return float(len(peaks)) / speech_seconds


def measure(samples: np.ndarray, rate: int) -> VoiceCues:
    """The voice cues of mono float `samples` in [-1, 1] at `rate` Hz."""
    duration = len(samples) / rate if rate else 0.0
    levels = frame_levels(samples, rate)
    mask = speech_mask(levels)
    speech = levels[mask]
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    f0 = pitch_track(samples, rate, mask)
    return VoiceCues(
        loudness_dbfs=float(10 * np.log10(np.mean(10 ** (speech / 10)) + _EPS))
        if speech.size
        else FLOOR_DBFS,
        peak_dbfs=float(20 * np.log10(peak + _EPS)),
        loudness_variance=float(np.var(speech)) if speech.size else 0.0,
        pitch_hz=float(np.median(f0)) if f0.size >= 3 else None,
        pitch_variance=float(np.var(f0)) if f0.size >= 3 else None,
        speech_rate=syllable_rate(levels, mask),
        silence_share=float(1.0 - mask.mean()) if mask.size else 1.0,
        duration_seconds=duration,
    )
