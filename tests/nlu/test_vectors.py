"""Word-piece vectors: the shipped file, the tokenizer, unit means, nothing for Chinese."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.nlu.vectors import VECTOR_SETS, WordpieceVectors, shipped_vectors


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_shipped_vectors_load_with_their_vocabulary(name: str) -> None:
    vectors = shipped_vectors(name)
    assert vectors.dimensions == 128
    assert len(vectors.index) > 20_000
    assert {"card", "money", "##s"} <= vectors.index.keys()
    stolen, theft, weather = (vectors.embed(t) for t in ("stolen", "theft", "weather"))
    assert float(stolen @ theft) > float(stolen @ weather)


def test_the_sets_differ_and_unknown_names_are_refused() -> None:
    distilled, refined = (shipped_vectors(name) for name in VECTOR_SETS)
    assert not np.allclose(distilled.embed("top up failed"), refined.embed("top up failed"))
    with pytest.raises(ValueError, match="no shipped word-piece vectors"):
        shipped_vectors("../../etc/passwd")


def test_words_split_into_longest_known_pieces() -> None:
    vectors = WordpieceVectors(
        ["re", "##act", "##ivate", "react", "a"], np.eye(5, dtype=np.float32)
    )
    assert vectors._pieces("reactivate") == (3, 2)  # "react" beats "re" + "##act"
    assert vectors._pieces("rea") == ()  # "##a" is unknown: the word has no pieces
    assert vectors._pieces("x" * 101) == ()


def test_text_vector_is_the_unit_mean_and_accents_do_not_matter() -> None:
    vectors = shipped_vectors()
    card = vectors.embed("My CARD was stolen!")
    assert np.isclose(float(np.linalg.norm(card)), 1.0, atol=1e-5)
    assert np.allclose(vectors.embed("café"), vectors.embed("cafe"))


def test_related_words_lie_closer_than_unrelated_ones() -> None:
    vectors = shipped_vectors()
    stolen, theft, weather = (vectors.embed(t) for t in ("stolen", "theft", "weather"))
    assert float(stolen @ theft) > float(stolen @ weather)


def test_chinese_digits_and_nothing_give_the_zero_vector() -> None:
    vectors = shipped_vectors()
    for text in ("我的卡丢了", "", "   ", "？？"):
        assert not vectors.embed(text).any(), text
    assert vectors.embed_many(["card", "卡"]).shape == (2, 128)
