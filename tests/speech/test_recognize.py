"""Recognition of real (synthetic) speech on phone-quality audio, with the bank vocabulary."""

from __future__ import annotations

from typing import Any

import pytest

from ivr.config import PROJECT_DIR
from ivr.errors import AudioError
from ivr.speech.lm import tokenize
from ivr.speech.recognize import Transcriber, word_accuracy
from ivr.speech.vocabulary import training_phrases

# Measured 0.61 on this set (the stock model: about 0.15; bench/asr.py prints
# both); the floor leaves room for other espeak-ng builds and CPU noise.
ACCURACY_FLOOR = 0.45


def test_dev_sentences_are_not_in_the_training_text(dev_sentences: list[str]) -> None:
    trained = {
        " ".join(tokenize(p))
        for p in training_phrases(PROJECT_DIR / "routing", PROJECT_DIR / "flows")
    }
    assert len(trained) > 300
    assert len(dev_sentences) >= 10
    for sentence in dev_sentences:
        spoken = " ".join(tokenize(sentence))
        assert not any(spoken in phrase for phrase in trained), sentence


def test_word_accuracy_floor_on_held_out_bank_sentences(
    dev_clips: list[Any], transcriber: Transcriber
) -> None:
    scores = []
    for clip in dev_clips:
        transcript = transcriber.transcribe(clip.path.read_bytes())
        assert transcript.engine == "sphinx"
        assert 0.0 <= transcript.confidence <= 1.0
        assert transcript.duration_seconds > 1.0
        scores.append(word_accuracy(clip.text, transcript.text))
    mean = sum(scores) / len(scores)
    assert mean >= ACCURACY_FLOOR, f"word accuracy {mean:.3f}: {scores}"
    # Every format (WAV, mu-law, MP3) and every voice is heard at all.
    for fmt in ("wav", "mulaw", "mp3"):
        assert max(s for s, c in zip(scores, dev_clips, strict=True) if c.format == fmt) > 0.3


def test_word_accuracy_counts_errors() -> None:
    assert word_accuracy("block my card", "block my card") == 1.0
    assert word_accuracy("block my card", "black my card") == pytest.approx(2 / 3)
    assert word_accuracy("block my card", "") == 0.0
    assert word_accuracy("I've lost 2 cards!", "i've lost two cards") == 1.0


def test_a_language_without_a_model_is_a_clear_error(
    dev_clips: list[Any], transcriber: Transcriber
) -> None:
    with pytest.raises(AudioError, match="zh-CN"):
        transcriber.transcribe(dev_clips[0].path.read_bytes(), language="zh-CN")
