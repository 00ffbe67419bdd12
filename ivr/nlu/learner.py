"""The generic text classifier: word + character n-grams, a calibrated linear SVM.

The same learner is trained from `routing/topics.yaml` for the hotline's topics
and from any `text,category` CSV by `ivr nlu eval`. Word n-grams (jieba for
Chinese) carry meaning; character n-grams within words survive typos, speech
recognition slips and unsegmented Chinese. Probabilities are a softmax over
the SVM's margins whose temperature is fitted on held-out folds (sklearn's
per-class sigmoid calibration measured slower and slightly less accurate on
BANKING77).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from ivr.errors import InvalidInputError
from ivr.nlu.text import normalize, word_ngrams, words


class TextClassifier:
    """A multi-class text classifier with calibrated probabilities."""

    def __init__(self, *, c: float = 0.5, calibration_folds: int = 3, char_max: int = 5) -> None:
        self.c = c
        self.calibration_folds = calibration_folds
        self.char_max = char_max
        self.classes: list[str] = []
        # Softmax sharpness over SVM margins, fitted on held-out folds by `fit(calibrate=True)`.
        self.temperature = 3.0
        self._features: FeatureUnion | None = None
        self._model: LinearSVC | None = None
        self._word_vocabulary: frozenset[str] = frozenset()
        self._fast: _FastScorer | None = None

    def _new_features(self) -> FeatureUnion:
        words = TfidfVectorizer(analyzer=word_ngrams, sublinear_tf=True)
        chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, self.char_max), sublinear_tf=True, lowercase=False
        )
        return FeatureUnion([("words", words), ("chars", chars)])

    def fit(
        self, texts: Sequence[str], labels: Sequence[str], *, calibrate: bool = True
    ) -> TextClassifier:
        """Train on parallel lists of texts and labels; at least two labels are needed.

        With `calibrate`, the softmax temperature is fitted on cross-validated
        margins so that confidences mean what they say (costs a few extra fits).
        """
        if len(texts) != len(labels):
            raise InvalidInputError("texts and labels differ in length", field="labels")
        counts = Counter(labels)
        if len(counts) < 2:
            raise InvalidInputError("at least two different labels are needed", field="labels")
        normalized = [normalize(t) for t in texts]
        self._features = self._new_features()
        matrix = self._features.fit_transform(normalized)
        self._model = LinearSVC(C=self.c).fit(matrix, list(labels))
        self.classes = [str(c) for c in self._model.classes_]
        self._word_vocabulary = frozenset(self._features.transformer_list[0][1].vocabulary_)
        self._fast = _FastScorer(self._features, self._model)
        folds = min(self.calibration_folds, min(counts.values()))
        if calibrate and folds >= 2:
            self.temperature = self._fit_temperature(normalized, list(labels), folds)
        return self

    def _fit_temperature(self, normalized: list[str], labels: list[str], folds: int) -> float:
        """The temperature minimising log-loss of held-out margins."""
        pipeline = make_pipeline(self._new_features(), LinearSVC(C=self.c))
        split = StratifiedKFold(folds, shuffle=True, random_state=0)
        margins = np.asarray(
            cross_val_predict(pipeline, normalized, labels, cv=split, method="decision_function"),
            dtype=np.float64,
        )
        if margins.ndim == 1:
            margins = np.stack([-margins, margins], axis=1)
        index = {c: i for i, c in enumerate(self.classes)}
        truth = np.array([index[label] for label in labels])

        def loss(temperature: float) -> float:
            logp = _log_softmax(margins * temperature)
            return float(-logp[np.arange(len(truth)), truth].mean())

        result = minimize_scalar(loss, bounds=(0.1, 50.0), method="bounded")
        return float(result.x)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """One row of class probabilities (columns in `classes` order) per text."""
        if self._features is None or self._model is None:
            raise InvalidInputError("the classifier has not been trained", field="model")
        matrix = self._features.transform([normalize(t) for t in texts])
        scores = np.asarray(self._model.decision_function(matrix), dtype=np.float64)
        if scores.ndim == 1:  # a binary LinearSVC gives one margin per text
            scores = np.stack([-scores, scores], axis=1)
        return np.exp(_log_softmax(scores * self.temperature))

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        probs = self.predict_proba(texts)
        return [self.classes[i] for i in probs.argmax(axis=1)]

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """Every label of one text with its probability, most probable first (fast path)."""
        if self._fast is None:
            raise InvalidInputError("the classifier has not been trained", field="model")
        scores = self._fast.scores(normalize(text))
        row = np.exp(_log_softmax(scores[np.newaxis, :] * self.temperature))[0]
        order = np.argsort(-row)
        return [(self.classes[i], float(row[i])) for i in order]

    def known_word_share(self, text: str) -> float:
        """The share of the text's word tokens seen in training (0 for none or no words)."""
        tokens = words(normalize(text))
        if not tokens:
            return 0.0
        return sum(t in self._word_vocabulary for t in tokens) / len(tokens)


class _FastScorer:
    """SVM margins of one text without sklearn's per-call validation (~10x faster).

    Reproduces TfidfVectorizer(sublinear_tf, l2) per block and the linear model;
    `tests/nlu/test_learner.py` checks it against the sklearn path.
    """

    def __init__(self, features: FeatureUnion, model: LinearSVC) -> None:
        self.blocks: list[tuple[TfidfVectorizer, dict[str, int], NDArray[np.float64], int]] = []
        offset = 0
        for _, vectorizer in features.transformer_list:
            vocabulary: dict[str, int] = dict(vectorizer.vocabulary_)
            idf = np.asarray(vectorizer.idf_, dtype=np.float64)
            self.blocks.append((vectorizer, vocabulary, idf, offset))
            offset += len(vocabulary)
        coef = np.asarray(model.coef_, dtype=np.float64)
        intercept = np.asarray(model.intercept_, dtype=np.float64)
        if coef.shape[0] == 1:  # binary: margins for both classes, as predict_proba does
            coef = np.vstack([-coef, coef])
            intercept = np.concatenate([-intercept, intercept])
        self.weights = np.ascontiguousarray(coef.T, dtype=np.float32)
        self.intercept = intercept
        self._analyzers: list[Callable[[str], list[str]]] | None = None

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state["_analyzers"] = None  # rebuilt lazily: closures do not pickle everywhere
        return state

    def scores(self, normalized: str) -> NDArray[np.float64]:
        """One margin per class for an already normalised text."""
        if self._analyzers is None:
            self._analyzers = [v.build_analyzer() for v, _, _, _ in self.blocks]
        columns: list[int] = []
        values: list[float] = []
        for analyzer, (_, vocabulary, idf, offset) in zip(
            self._analyzers, self.blocks, strict=True
        ):
            counts = Counter(t for t in analyzer(normalized) if t in vocabulary)
            if not counts:
                continue
            idx = np.fromiter((vocabulary[t] for t in counts), dtype=np.int64, count=len(counts))
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            block = tf * idf[idx]
            block /= np.sqrt((block * block).sum())
            columns.extend((idx + offset).tolist())
            values.extend(block.tolist())
        if not columns:
            return self.intercept.copy()
        gathered = self.weights[np.asarray(columns, dtype=np.int64)]
        margins: NDArray[np.float64] = np.asarray(values, dtype=np.float64) @ gathered
        return margins + self.intercept


def _log_softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = scores - scores.max(axis=1, keepdims=True)
    out: NDArray[np.float64] = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out
