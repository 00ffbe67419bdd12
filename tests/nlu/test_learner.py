"""The generic learner: fits any labelled texts, fast path equals sklearn's, calibrated."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from ivr.errors import InvalidInputError
from ivr.nlu import learner
from ivr.nlu.learner import AUTO_VECTOR_WEIGHT, TextClassifier
from ivr.nlu.vectors import VECTOR_SETS, shipped_vectors

TEXTS = [
    "open a savings account",
    "I want a new account",
    "close my account please",
    "account statement for march",
    "send money to my sister",
    "transfer funds abroad",
    "wire money to London",
    "pay my friend back",
    "我要转账",
    "汇款到国外",
    "我想开户",
    "查账户余额",
]
LABELS = ["account"] * 4 + ["transfer"] * 4 + ["transfer", "transfer", "account", "account"]


def test_learns_and_ranks_in_both_languages() -> None:
    classifier = TextClassifier().fit(TEXTS, LABELS)
    assert classifier.classes == ["account", "transfer"]
    assert classifier.predict(["send money to my brother", "轉帳給朋友", "開戶"]) == [
        "transfer",
        "transfer",
        "account",
    ]
    ranked = classifier.ranked("wire money")
    assert [label for label, _ in ranked] == ["transfer", "account"]
    assert sum(p for _, p in ranked) == pytest.approx(1.0)


@pytest.mark.parametrize("vector_weight", [0.0, 2.0])
def test_fast_path_matches_sklearn_path(vector_weight: float) -> None:
    classifier = TextClassifier(vector_weight=vector_weight).fit(
        TEXTS * 2 + ["card lost", "lost card"] * 3, LABELS * 2 + ["card"] * 6
    )
    assert classifier.chosen_vector_weight == vector_weight
    texts = ("transfer money", "我的卡丢了", "card", "zzz", "", "Account 1234 !!", "remit cash")
    for text in texts:
        fast = dict(classifier.ranked(text))
        slow = classifier.predict_proba([text])[0]
        assert np.allclose([fast[c] for c in classifier.classes], slow, atol=1e-6), text


def test_survives_pickling() -> None:
    classifier = TextClassifier().fit(TEXTS, LABELS)
    restored = pickle.loads(pickle.dumps(classifier))
    before, after = dict(classifier.ranked("wire money")), dict(restored.ranked("wire money"))
    assert before.keys() == after.keys()
    assert [after[k] for k in before] == pytest.approx(list(before.values()))


def test_calibration_is_fitted_when_every_label_has_enough_examples() -> None:
    calibrated = TextClassifier().fit(TEXTS, LABELS)
    raw = TextClassifier().fit(TEXTS, LABELS, calibrate=False)
    assert calibrated.temperature != raw.temperature == 3.0


def test_tiny_labels_still_train() -> None:
    classifier = TextClassifier().fit(["a loan", "my mortgage", "hello"], ["loan", "loan", "hi"])
    assert classifier.predict(["mortgage"]) == ["loan"]


def test_known_word_share() -> None:
    classifier = TextClassifier().fit(TEXTS, LABELS)
    assert classifier.known_word_share("send money") == 1.0
    assert classifier.known_word_share("qwxz plork") == 0.0
    assert classifier.known_word_share("") == 0.0


@pytest.mark.parametrize(
    ("texts", "labels", "message"),
    [(["a", "b"], ["x"], "differ in length"), (["a", "b"], ["x", "x"], "two different labels")],
)
def test_bad_training_data(texts: list[str], labels: list[str], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        TextClassifier().fit(texts, labels)


def test_untrained_classifier_says_so() -> None:
    with pytest.raises(InvalidInputError, match="not been trained"):
        TextClassifier().ranked("hello")


def _words_by_vector_sign(count: int, name: str = VECTOR_SETS[0]) -> tuple[list[str], list[str]]:
    """Plain words labelled by the sign of their first vector dimension: no n-gram can know it."""
    vectors = shipped_vectors(name)
    words = [w for w in vectors.index if w.isalpha() and len(w) >= 4][:count]
    labels = ["up" if vectors.embed(w)[0] > 0 else "down" for w in words]
    return words, labels


@pytest.mark.parametrize("name", VECTOR_SETS)
def test_the_set_that_measures_better_is_chosen(name: str) -> None:
    words, labels = _words_by_vector_sign(400, name)
    classifier = TextClassifier().fit(words, labels, calibrate=False)
    assert (classifier.chosen_vector_weight, classifier.chosen_vectors) == (
        AUTO_VECTOR_WEIGHT,
        name,
    )
    restored = pickle.loads(pickle.dumps(classifier))
    assert restored.ranked(words[0]) == classifier.ranked(words[0])
    assert classifier.predict(words[:50]) == [classifier.ranked(w)[0][0] for w in words[:50]]


def test_vectors_are_kept_only_when_they_measure_better() -> None:
    words, labels = _words_by_vector_sign(400)
    assert TextClassifier().fit(words, labels, calibrate=False).chosen_vector_weight == (
        AUTO_VECTOR_WEIGHT
    )
    # Above SELECTION_SAMPLE examples a stratified sample decides, the same way.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(learner, "SELECTION_SAMPLE", 300)
        sampled = TextClassifier().fit(words, labels, calibrate=False)
    assert sampled.chosen_vector_weight == AUTO_VECTOR_WEIGHT
    # Held-out texts the n-grams already get all right: the vectors cannot do better.
    repeated = TextClassifier().fit(TEXTS * 20, LABELS * 20, calibrate=False)
    assert repeated.chosen_vector_weight == 0.0


def test_vectors_are_not_tried_on_small_or_chinese_only_data() -> None:
    assert TextClassifier().fit(TEXTS, LABELS).chosen_vector_weight == 0.0
    chinese = [f"我要转账{i}次" for i in range(150)] + [f"我想开户{i}个" for i in range(150)]
    labels = ["transfer"] * 150 + ["account"] * 150
    assert TextClassifier().fit(chinese, labels, calibrate=False).chosen_vector_weight == 0.0


def test_pickled_classifier_with_vectors_ranks_the_same() -> None:
    classifier = TextClassifier(vector_weight=2.0).fit(TEXTS, LABELS)
    restored = pickle.loads(pickle.dumps(classifier))
    assert restored.ranked("remit cash abroad") == classifier.ranked("remit cash abroad")


def test_the_encoder_is_not_kept_when_ngrams_suffice() -> None:
    assert TextClassifier().fit(TEXTS * 20, LABELS * 20, calibrate=False).head is None
    assert TextClassifier().fit(TEXTS, LABELS).head is None  # too few to measure
