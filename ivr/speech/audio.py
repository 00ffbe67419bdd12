"""Audio preparation with pydub: whatever the carrier sent, made into what the recogniser wants.

The recogniser wants 16 kHz, 16-bit, mono speech at a steady level with the
silence around it cut off; a long recording is cut into pieces at pauses so
each piece decodes quickly. Anything that is not usable audio becomes an
AudioError with the reason, never a crash.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
from pydub import AudioSegment
from pydub.exceptions import CouldntDecodeError
from pydub.silence import detect_nonsilent
from scipy.signal import resample_poly

from ivr.errors import AudioError

TARGET_RATE = 16_000
TARGET_DBFS = -20.0
# Below this the "speech" is line hiss: the caller said nothing.
SILENCE_ONLY_DBFS = -55.0
EDGE_PADDING_MS = 150
CHUNK_MAX_MS = 15_000
_WAVE_PCM = 1
_WAVE_MULAW = 7
_WAVE_ALAW = 6


@dataclass(frozen=True, slots=True)
class PreparedAudio:
    """Speech ready for the recogniser, with the pieces long audio was cut into."""

    audio: AudioSegment
    chunks: tuple[AudioSegment, ...]
    source_seconds: float
    gain_db: float = 0.0

    @property
    def seconds(self) -> float:
        """Length of the prepared speech in seconds."""
        return len(self.audio) / 1000.0

    def samples(self) -> np.ndarray:
        """The prepared speech as float samples in [-1, 1]."""
        return pcm_to_float(self.audio.raw_data)

    def heard_samples(self) -> np.ndarray:
        """The speech at the level the line delivered it (normalisation undone)."""
        return self.samples() * 10 ** (-self.gain_db / 20.0)


def pcm_to_float(raw: bytes) -> np.ndarray:
    """16-bit little-endian PCM as float64 samples in [-1, 1]."""
    return np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0


def _g711_to_pcm16(data: bytes, kind: int) -> np.ndarray:
    """Decode G.711 mu-law or A-law bytes to 16-bit samples (the full 14/13-bit range)."""
    codes = np.frombuffer(data, dtype=np.uint8)
    if kind == _WAVE_MULAW:
        u = ~codes.astype(np.int32) & 0xFF
        magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
        values = np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84)
    else:
        a = codes.astype(np.int32) ^ 0x55
        exponent = (a & 0x70) >> 4
        mantissa = ((a & 0x0F) << 4) + 8
        magnitude = np.where(exponent == 0, mantissa, (mantissa + 0x100) << (exponent - 1))
        values = np.where(a & 0x80, magnitude, -magnitude)
    return values.astype(np.int16)


def _wav_chunks(data: bytes) -> dict[bytes, bytes]:
    """The chunks of a RIFF/WAVE file by id; empty when `data` is not one."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return {}
    chunks: dict[bytes, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        ident, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks.setdefault(ident, data[pos + 8 : pos + 8 + size])
        pos += 8 + size + (size & 1)
    return chunks


def _decode_g711_wav(data: bytes) -> AudioSegment | None:
    """A 16-bit PCM or mu-law/A-law WAV (to 16 bits; pydub via ffmpeg gives 8), else None."""
    chunks = _wav_chunks(data)
    fmt = chunks.get(b"fmt ", b"")
    if len(fmt) < 16:
        return None
    kind, channels, rate = struct.unpack("<HHI", fmt[:8])
    bits = struct.unpack("<H", fmt[14:16])[0]
    if not channels or not rate or b"data" not in chunks:
        return None
    body = chunks[b"data"]
    if kind == _WAVE_PCM and bits == 16:
        # Plain PCM needs no ffmpeg process (a third of the preparation time).
        body = body[: len(body) - len(body) % (2 * channels)]
        return AudioSegment(body, sample_width=2, frame_rate=rate, channels=channels)
    if kind not in (_WAVE_MULAW, _WAVE_ALAW):
        return None
    body = body[: len(body) - len(body) % channels]
    pcm = _g711_to_pcm16(body, kind)
    return AudioSegment(pcm.tobytes(), sample_width=2, frame_rate=rate, channels=channels)


def _declared_seconds(data: bytes) -> float | None:
    """How long a WAV says it is, read from its header without decoding it."""
    chunks = _wav_chunks(data)
    fmt = chunks.get(b"fmt ", b"")
    if len(fmt) < 16:
        return None
    byte_rate = struct.unpack("<I", fmt[8:12])[0]
    declared = struct.unpack("<I", data[data.find(b"data") + 4 :][:4])[0] if b"data" in data else 0
    return declared / byte_rate if byte_rate else None


def _too_long(seconds: float, max_seconds: float) -> AudioError:
    return AudioError(
        f"the recording is {seconds:.0f} s long, more than the "
        f"{max_seconds:.0f} s allowed (IVR_RECORDING_MAX_SECONDS)"
    )


def decode(data: bytes, *, max_seconds: float) -> AudioSegment:
    """Any audio file's bytes as a pydub segment; AudioError when empty, corrupt or too long."""
    if not data:
        raise AudioError("the recording is empty (0 bytes)")
    declared = _declared_seconds(data)
    # Refuse a 2-hour WAV before spending memory and time decoding it.
    if declared is not None and declared > max_seconds:
        raise _too_long(declared, max_seconds)
    try:
        segment = _decode_g711_wav(data) or AudioSegment.from_file(io.BytesIO(data))
    except (CouldntDecodeError, IndexError, ValueError, struct.error, OSError) as exc:
        lines = str(exc).strip().splitlines()
        reason = lines[-1] if lines else type(exc).__name__
        raise AudioError(f"the recording is not audio we can decode ({reason})") from exc
    if len(segment) == 0 or segment.frame_count() == 0:
        raise AudioError("the recording holds no audio (zero length)")
    if len(segment) / 1000.0 > max_seconds:
        raise _too_long(len(segment) / 1000.0, max_seconds)
    return segment


def to_recogniser_format(segment: AudioSegment) -> AudioSegment:
    """Mono, 16-bit, 16 kHz; phone audio (8 kHz) is upsampled with a proper filter."""
    mono = segment.set_channels(1).set_sample_width(2)
    if mono.frame_rate == TARGET_RATE:
        return mono
    samples = np.frombuffer(mono.raw_data, dtype="<i2").astype(np.float64)
    gcd = np.gcd(mono.frame_rate, TARGET_RATE)
    resampled = resample_poly(samples, TARGET_RATE // gcd, mono.frame_rate // gcd)
    pcm = np.clip(np.round(resampled), -32768, 32767).astype("<i2")
    return AudioSegment(pcm.tobytes(), sample_width=2, frame_rate=TARGET_RATE, channels=1)


def _speech_spans(segment: AudioSegment, *, min_silence_ms: int) -> list[list[int]]:
    # Relative to the recording's own level, so a quiet line still has speech in it.
    threshold = max(segment.dBFS - 18.0, SILENCE_ONLY_DBFS)
    spans: list[list[int]] = detect_nonsilent(
        segment, min_silence_len=min_silence_ms, silence_thresh=threshold, seek_step=10
    )
    return spans


def split_long(segment: AudioSegment, *, max_ms: int = CHUNK_MAX_MS) -> tuple[AudioSegment, ...]:
    """Cut `segment` at pauses into pieces of at most about `max_ms`."""
    if len(segment) <= max_ms:
        return (segment,)
    pieces: list[AudioSegment] = []
    start = 0
    for _, end in _speech_spans(segment, min_silence_ms=250):
        cut = min(len(segment), end + EDGE_PADDING_MS)
        if cut - start >= max_ms * 0.6:
            pieces.append(segment[start:cut])
            start = cut
    if start < len(segment):
        pieces.append(segment[start:])
    # A piece with no pause in it is still cut, at fixed length, so no piece is huge.
    return tuple(p[i : i + max_ms] for p in pieces for i in range(0, len(p), max_ms))


def prepare(data: bytes, *, max_seconds: float) -> PreparedAudio:
    """Decode, convert, normalise loudness, trim silence and split; AudioError when unusable."""
    source = decode(data, max_seconds=max_seconds)
    return prepare_speech(to_recogniser_format(source), source_seconds=len(source) / 1000.0)


def prepare_speech(audio: AudioSegment, *, source_seconds: float) -> PreparedAudio:
    """Recogniser-format audio (`to_recogniser_format`) normalised, trimmed and split."""
    if audio.max_dBFS < SILENCE_ONLY_DBFS:
        raise AudioError("the recording is silence only: the caller said nothing")
    spans = _speech_spans(audio, min_silence_ms=300)
    if not spans:
        raise AudioError("the recording is silence only: the caller said nothing")
    start = max(0, spans[0][0] - EDGE_PADDING_MS)
    end = min(len(audio), spans[-1][1] + EDGE_PADDING_MS)
    speech = audio[start:end]
    # Normalise on the loudness of the speech, then keep peaks from clipping.
    gain = TARGET_DBFS - speech.dBFS
    gain = min(gain, -1.0 - speech.max_dBFS)
    speech = speech.apply_gain(gain)
    return PreparedAudio(
        audio=speech,
        chunks=split_long(speech),
        source_seconds=source_seconds,
        gain_db=gain,
    )
