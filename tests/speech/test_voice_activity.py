"""Whether a recording holds speech: real callers on the phone, and takes with none.

The check a caller who left a message waits for (ivr.speech.voice_activity). Noise
is made with sox at the carrier's 8 kHz; speech is the shared real recordings.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ivr.speech.recognize import Transcriber
from ivr.speech.voice_activity import MIN_SPEECH_SECONDS
from tests.speech.conftest import Recorded

# What a line carries when nobody speaks: sox `synth` arguments (or none: digital silence).
NOISES = {
    "digital silence": ["trim", "0", "12"],
    "faint hiss": ["synth", "12", "whitenoise", "vol", "0.01"],
    "loud hiss": ["synth", "15", "whitenoise", "vol", "0.05"],
    "pink noise": ["synth", "20", "pinknoise", "vol", "0.03"],
    "rumble": ["synth", "12", "brownnoise", "vol", "0.1"],
    "mains hum": ["synth", "12", "sine", "50", "vol", "0.05"],
}


def _line(path: Path, effects: list[str]) -> Path:
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path), *effects], check=True
    )
    return path


@pytest.mark.parametrize("noise", NOISES)
def test_a_line_with_nobody_speaking_holds_no_speech(
    transcriber: Transcriber, tmp_path: Path, noise: str
) -> None:
    heard = transcriber.listen(_line(tmp_path / "take.wav", NOISES[noise]).read_bytes())
    assert not heard.speech and heard.speech_seconds < MIN_SPEECH_SECONDS
    assert heard.source_seconds >= 12  # the carrier would call it a 12 s recording


def test_real_callers_are_heard_in_pcm_and_mu_law(
    transcriber: Transcriber, phone_recordings: dict[str, Recorded]
) -> None:
    for name, recorded in phone_recordings.items():
        heard = transcriber.listen(recorded.path.read_bytes())
        assert heard.speech, (name, heard.speech_seconds)


def test_a_quiet_caller_is_heard_where_louder_hiss_is_not(
    transcriber: Transcriber, phone_recordings: dict[str, Recorded], tmp_path: Path
) -> None:
    # Why loudness cannot decide: this real Mandarin caller is quieter than the hiss.
    caller = phone_recordings["zh/005.wav"].path
    hiss = _line(tmp_path / "hiss.wav", NOISES["loud hiss"])
    quiet, noisy = (transcriber.listen(p.read_bytes()) for p in (caller, hiss))
    assert quiet.level_dbfs is not None and noisy.level_dbfs is not None
    assert quiet.level_dbfs < noisy.level_dbfs
    assert quiet.speech and not noisy.speech
    # ...and the same caller over that hiss is still heard.
    mixed = tmp_path / "mixed.wav"
    subprocess.run(["sox", "-m", str(caller), str(hiss), str(mixed), "trim", "0", "8"], check=True)
    assert transcriber.listen(mixed.read_bytes()).speech
