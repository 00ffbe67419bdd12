"""The sentence encoder and its head: real embeddings, asked only about unsure utterances."""

from __future__ import annotations

import numpy as np
import pytest

from ivr.nlu.encoder import (
    MIN_HEAD_GAIN,
    choose_head,
    fit_head,
    log_softmax,
    shipped_encoder,
)

LOST = ["I lost my card", "my card is missing", "I can't find my debit card", "card gone"]
RATES = ["what is the euro exchange rate", "dollar to yen rate", "how much is a pound in euros"]


def test_embeddings_are_unit_rows_in_order_for_any_text() -> None:
    texts = ["", "   ", "😀😀😀", "1234 5678", "我的卡丢了", "x" * 10_000, "card\x00\ufffd", *LOST]
    embedded = shipped_encoder().encode_many(texts)
    assert embedded.shape == (len(texts), shipped_encoder().dimensions)
    assert np.all(np.isfinite(embedded))
    assert np.allclose(np.linalg.norm(embedded, axis=1), 1.0, atol=1e-3)
    # Row k is text k's, whatever the batch (int8 activations vary a little with the batch).
    for k in (0, 4, len(texts) - 1):
        assert float(embedded[k] @ shipped_encoder().encode(texts[k])) > 0.97
    assert shipped_encoder().encode_many([]).shape == (0, shipped_encoder().dimensions)


def test_meaning_beyond_shared_words() -> None:
    lost, missing, rate = shipped_encoder().encode_many(
        ["I lost my card", "my plastic has vanished", "what's the exchange rate for euros"]
    )
    assert float(lost @ missing) > float(lost @ rate) + 0.2


def _head_data() -> tuple[np.ndarray, list[str]]:
    texts = LOST + RATES
    return shipped_encoder().encode_many(texts), ["lost"] * len(LOST) + ["rate"] * len(RATES)


def test_head_revises_only_the_unsure_rows() -> None:
    embedded, labels = _head_data()
    head = fit_head(embedded, labels, ["lost", "rate"], weight=2.0, threshold=0.6)
    sure_wrong = np.log([[0.1, 0.9]])
    unsure = np.log([[0.5, 0.5]])
    fast = np.vstack([sure_wrong, unsure, unsure])
    texts = ["my bank card was stolen", "my bank card was stolen", "yen to dollar today"]
    revised = head.revise(fast, texts)
    assert np.array_equal(revised[0], fast[0])  # sure: the encoder is not asked
    assert revised[1].argmax() == 0 and revised[2].argmax() == 1
    assert np.allclose(np.exp(revised).sum(axis=1), 1.0)


def test_head_columns_follow_the_given_classes() -> None:
    embedded, labels = _head_data()
    head = fit_head(embedded, labels, ["absent", "lost", "rate"])
    row = np.exp(head.revise(np.log([[1 / 3, 1 / 3, 1 / 3]]), ["I misplaced my card"]))[0]
    assert row[0] < 1e-6 and row[1] > row[2]


def test_head_is_kept_only_when_it_pays() -> None:
    embedded, labels = _head_data()
    truth = np.array([0] * len(LOST) + [1] * len(RATES))
    perfect = log_softmax(np.eye(2)[truth] * 5.0)
    assert choose_head(embedded, labels, embedded, perfect, labels, ["lost", "rate"]) is None
    clueless = np.log(np.full((len(labels), 2), 0.5))
    chosen = choose_head(embedded, labels, embedded, clueless, labels, ["lost", "rate"])
    assert chosen is not None
    weight, threshold = chosen
    assert weight > 0 and threshold > 0.5  # every clueless row is asked
    assert MIN_HEAD_GAIN > 0


@pytest.mark.parametrize("classes", [["lost", "rate"], ["rate", "lost"]])
def test_binary_head_scores_both_classes(classes: list[str]) -> None:
    embedded, labels = _head_data()
    head = fit_head(embedded, labels, classes, threshold=1.0)
    row = np.exp(head.revise(np.log([[0.5, 0.5]]), ["my card was stolen"]))[0]
    assert row[classes.index("lost")] > 0.5
