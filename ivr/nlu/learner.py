"""The generic text classifier: word + character n-grams, a calibrated linear SVM.

The same learner is trained from `routing/topics.yaml` for the hotline's topics
and from any `text,category` CSV by `ivr nlu eval`. Word n-grams (jieba for
Chinese) carry meaning; character n-grams within words survive typos, speech
recognition slips and unsegmented Chinese. Static English word-piece vectors
(`ivr.nlu.vectors`) can join them as a third block: `fit` measures the
learner without them and with each shipped set on a held-out fifth and keeps
the best (the banking-refined set helps BANKING77's fine intents most). On the
same held-out fifth `fit` measures asking a sentence encoder
(`ivr.nlu.encoder`) about the utterances it is least sure of, and keeps that
when it pays: the encoder embeds the training texts on a worker thread while
the n-gram model trains. Probabilities are a softmax over the SVM's margins
whose temperature is fitted on held-out folds (sklearn's per-class sigmoid
calibration measured slower and slightly less accurate on BANKING77).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar
from scipy.sparse import csr_matrix, hstack
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.svm import LinearSVC

from ivr.errors import InvalidInputError
from ivr.nlu.encoder import BackgroundEncoding, EncoderHead, choose_head, fit_head, log_softmax
from ivr.nlu.text import normalize, pinyin_terms, word_ngrams, words
from ivr.nlu.vectors import VECTOR_SETS, VECTORS_FILE, shipped_vectors

# The word-piece vectors' scale when they are used (best of 1, 2, 3 on BANKING77 folds).
AUTO_VECTOR_WEIGHT = 2.0
# Fewer examples than this (or a label with fewer than 5) cannot tell the two apart.
MIN_SELECTION_EXAMPLES = 200
# At most this many examples (a stratified sample) decide, so that training stays quick.
SELECTION_SAMPLE = 5000

# Told each stage of a long `fit` as it starts ("calibrating confidence (5 folds)").
Progress = Callable[[str], None]


def _quiet(stage: str) -> None:
    """The progress of a fit nobody watches."""


class TextClassifier:
    """A multi-class text classifier with calibrated probabilities."""

    def __init__(
        self,
        *,
        c: float = 0.5,
        calibration_folds: int = 3,
        char_max: int = 5,
        vector_weight: float | None = None,
        vectors: str = VECTORS_FILE,
        encoder: bool = True,
        pinyin: bool = True,
    ) -> None:
        self.c = c
        self.calibration_folds = calibration_folds
        self.char_max = char_max
        # Scale of the word-piece vectors beside the n-grams (ivr/nlu/vectors.py); 0: none;
        # None: `fit` measures none and each of VECTOR_SETS on held-out examples and keeps
        # the best (`chosen_vector_weight`, `chosen_vectors`).
        self.vector_weight = vector_weight
        self.chosen_vector_weight = vector_weight or 0.0
        # Toneless pinyin beside the characters (homophones misheard by speech recognition);
        # `fit` adds the block only when the training texts hold Chinese.
        self.pinyin = pinyin
        self._pinyin_block = False
        # Which set of VECTOR_SETS the vector block reads (given, or chosen by `fit`).
        self.chosen_vectors = vectors
        # Whether `fit` (choosing vectors itself) may measure asking the sentence encoder.
        self.encoder = encoder
        # The encoder's head when the measurement kept it (see ivr/nlu/encoder.py).
        self.head: EncoderHead | None = None
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
        blocks: list[tuple[str, Any]] = [("words", words), ("chars", chars)]
        if self._pinyin_block:
            blocks.append(("pinyin", TfidfVectorizer(analyzer=pinyin_terms, sublinear_tf=True)))
        if self.chosen_vector_weight > 0.0:
            blocks.append(("vectors", VectorBlock(self.chosen_vector_weight, self.chosen_vectors)))
        return FeatureUnion(blocks)

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        calibrate: bool = True,
        progress: Progress = _quiet,
    ) -> TextClassifier:
        """Train on parallel lists of texts and labels; at least two labels are needed.

        With `calibrate`, the softmax temperature is fitted on cross-validated
        margins so that confidences mean what they say (costs a few extra fits).
        `progress` hears each stage as it starts: on BANKING77 a fit takes a minute.
        """
        if len(texts) != len(labels):
            raise InvalidInputError("texts and labels differ in length", field="labels")
        counts = Counter(labels)
        if len(counts) < 2:
            raise InvalidInputError("at least two different labels are needed", field="labels")
        progress(f"reading {len(texts)} examples of {len(counts)} labels")
        normalized = [normalize(t) for t in texts]
        truth = list(labels)
        self.head = None
        self._pinyin_block = self.pinyin and any(pinyin_terms(t) for t in normalized)
        split = _split(truth, counts) if self.vector_weight is None else None
        encoding = (
            BackgroundEncoding(normalized, np.concatenate([split.train, split.held]))
            if split is not None and self.encoder
            else None
        )
        try:
            selection = None
            if split is not None:
                progress("measuring word vectors on a held-out fifth")
                selection = self._choose_vectors(normalized, truth, split)
                self.chosen_vector_weight, self.chosen_vectors = selection.choice
            progress("training the classifier on every example")
            self._features = self._new_features()
            matrix = self._features.fit_transform(normalized)
            self._model = LinearSVC(C=self.c).fit(matrix, truth)
            self.classes = [str(c) for c in self._model.classes_]
            self._word_vocabulary = frozenset(self._features.transformer_list[0][1].vocabulary_)
            self._fast = _FastScorer(self._features, self._model)
            folds = min(self.calibration_folds, min(counts.values()))
            if calibrate and folds >= 2:
                progress(f"calibrating confidence on {folds} folds")
                self.temperature = self._fit_temperature(normalized, truth, folds)
            if encoding is not None and selection is not None:
                progress("measuring the sentence encoder on the held-out fifth")
                self.head = self._choose_head(encoding, selection, truth)
        finally:
            if encoding is not None:
                encoding.close()
        return self

    def _choose_head(
        self, encoding: BackgroundEncoding, selection: _Selection, labels: list[str]
    ) -> EncoderHead | None:
        """The encoder's head when asking it measures better on the held-out fifth."""
        split, truth = selection.split, np.asarray(labels)
        if selection.classes != self.classes:  # a label absent from the sample
            return None
        sample = encoding.sample()
        train, held = sample[: len(split.train)], sample[len(split.train) :]
        fast = log_softmax(selection.margins * self.temperature)
        chosen = choose_head(
            train, truth[split.train].tolist(), held, fast, truth[split.held].tolist(), self.classes
        )
        if chosen is None:
            return None
        weight, threshold = chosen
        rows, embedded = encoding.everything()
        return fit_head(
            embedded, truth[rows].tolist(), self.classes, weight=weight, threshold=threshold
        )

    def _choose_vectors(
        self, normalized: list[str], labels: list[str], split: _Split
    ) -> _Selection:
        """The vectors (AUTO_VECTOR_WEIGHT and a set) that raise accuracy most on the
        held-out fifth, or none (weight 0) when no set does; with the chosen model's
        held-out margins, on which the encoder is measured next.

        Measured, not assumed: on BANKING77's 77 fine intents the distilled set adds
        about 0.7 points and the banking-refined one about 0.4 more; on the hotline's
        broad bilingual topics either may add nothing.
        """
        rows = np.concatenate([split.train, split.held])
        # Each set embeds the sample once (train rows first, then held-out rows).
        sample = [normalized[i] for i in rows]
        embedded = {name: shipped_vectors(name).embed_many(sample) for name in VECTOR_SETS}
        english = bool(embedded[VECTORS_FILE].any())  # else no set knows a word here
        train_rows, held_rows = slice(0, len(split.train)), slice(len(split.train), len(rows))
        blocks = self._new_features().transformer_list
        features = FeatureUnion([b for b in blocks if not isinstance(b[1], VectorBlock)])
        seen = features.fit_transform(sample[train_rows])
        unseen = features.transform(sample[held_rows])
        truth = np.asarray(labels)

        def measure(name: str | None) -> tuple[float, NDArray[np.float64], list[str]]:
            a, b = seen, unseen
            if name is not None:
                vectors = embedded[name] * np.float32(AUTO_VECTOR_WEIGHT)
                a = hstack([seen, csr_matrix(vectors[train_rows])])
                b = hstack([unseen, csr_matrix(vectors[held_rows])])
            model = LinearSVC(C=self.c).fit(a.tocsr(), truth[split.train])
            margins = np.asarray(model.decision_function(b.tocsr()), dtype=np.float64)
            if margins.ndim == 1:
                margins = np.stack([-margins, margins], axis=1)
            classes = [str(c) for c in model.classes_]
            predicted = np.asarray(classes)[margins.argmax(axis=1)]
            return float(np.mean(predicted == truth[split.held])), margins, classes

        best_accuracy, margins, classes = measure(None)
        best = _Selection(split, (0.0, VECTORS_FILE), margins, classes)
        for name in VECTOR_SETS if english else ():  # must beat n-grams alone, and earlier sets
            accuracy, margins, classes = measure(name)
            if accuracy > best_accuracy:
                best_accuracy = accuracy
                best = _Selection(split, (AUTO_VECTOR_WEIGHT, name), margins, classes)
        return best

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
            logp = log_softmax(margins * temperature)
            return float(-logp[np.arange(len(truth)), truth].mean())

        result = minimize_scalar(loss, bounds=(0.1, 50.0), method="bounded")
        return float(result.x)

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """One row of class probabilities (columns in `classes` order) per text."""
        if self._features is None or self._model is None:
            raise InvalidInputError("the classifier has not been trained", field="model")
        normalized = [normalize(t) for t in texts]
        matrix = self._features.transform(normalized)
        scores = np.asarray(self._model.decision_function(matrix), dtype=np.float64)
        if scores.ndim == 1:  # a binary LinearSVC gives one margin per text
            scores = np.stack([-scores, scores], axis=1)
        logp = log_softmax(scores * self.temperature)
        if self.head is not None:
            logp = self.head.revise(logp, normalized)
        return np.exp(logp)

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most probable label of each text."""
        probs = self.predict_proba(texts)
        return [self.classes[i] for i in probs.argmax(axis=1)]

    def ranked(self, text: str) -> list[tuple[str, float]]:
        """Every label of one text with its probability, most probable first (fast path)."""
        if self._fast is None:
            raise InvalidInputError("the classifier has not been trained", field="model")
        normalized = normalize(text)
        scores = self._fast.scores(normalized)
        logp = log_softmax(scores[np.newaxis, :] * self.temperature)
        if self.head is not None:
            logp = self.head.revise(logp, [normalized])
        row = np.exp(logp)[0]
        order = np.argsort(-row)
        return [(self.classes[i], float(row[i])) for i in order]

    def describe(self) -> str:
        """What `fit` chose, in a line: the feature blocks and when the encoder is asked."""
        parts = ["word and character n-grams"]
        if self._pinyin_block:
            parts.append("toneless pinyin")
        if self.chosen_vector_weight > 0.0:
            parts.append(f"word-piece vectors ({self.chosen_vectors})")
        if self.head is not None:
            parts.append(
                f"sentence encoder below p={self.head.threshold:.2f} (weight {self.head.weight:g})"
            )
        return " + ".join(parts)

    def known_word_share(self, text: str) -> float:
        """The share of the text's word tokens seen in training (0 for none or no words)."""
        tokens = words(normalize(text))
        if not tokens:
            return 0.0
        return sum(t in self._word_vocabulary for t in tokens) / len(tokens)


class VectorBlock(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """The texts' word-piece vectors (set `vectors`) times `weight`, as a feature block."""

    def __init__(self, weight: float = 1.0, vectors: str = VECTORS_FILE) -> None:
        self.weight = weight
        self.vectors = vectors

    def fit(self, texts: Sequence[str], labels: object = None) -> VectorBlock:
        return self

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        embedded = shipped_vectors(self.vectors).embed_many(list(texts))
        return csr_matrix(embedded * np.float32(self.weight))


class _FastScorer:
    """SVM margins of one text without sklearn's per-call validation (~10x faster).

    Reproduces TfidfVectorizer(sublinear_tf, l2) per block and the linear model;
    `tests/nlu/test_learner.py` checks it against the sklearn path.
    """

    def __init__(self, features: FeatureUnion, model: LinearSVC) -> None:
        self.blocks: list[tuple[TfidfVectorizer, dict[str, int], NDArray[np.float64], int]] = []
        # (weight, first column, set) of the word-piece vector block, if the features have one.
        self.vector_block: tuple[float, int, str] | None = None
        offset = 0
        for _, vectorizer in features.transformer_list:
            if isinstance(vectorizer, VectorBlock):
                self.vector_block = (vectorizer.weight, offset, vectorizer.vectors)
                offset += shipped_vectors(vectorizer.vectors).dimensions
                continue
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
        margins: NDArray[np.float64] = self.intercept.copy()
        if columns:
            gathered = self.weights[np.asarray(columns, dtype=np.int64)]
            margins += np.asarray(values, dtype=np.float64) @ gathered
        if self.vector_block is not None:
            weight, first, name = self.vector_block
            vectors = shipped_vectors(name)
            vector = vectors.embed(normalized) * np.float32(weight)
            margins += vector @ self.weights[first : first + vectors.dimensions]
        return margins


@dataclass(frozen=True, slots=True)
class _Split:
    """Which training examples (indices) train and which judge while `fit` chooses."""

    train: NDArray[np.intp]
    held: NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class _Selection:
    """What `_choose_vectors` chose, and that model's margins on the held-out examples."""

    split: _Split
    choice: tuple[float, str]  # (vector weight, vector set)
    margins: NDArray[np.float64]  # columns in `classes` order
    classes: list[str]


def _split(labels: list[str], counts: Counter[str]) -> _Split | None:
    """A stratified 80/20 split of at most SELECTION_SAMPLE examples, or None when there
    are too few examples (or a label with fewer than 5) to tell choices apart."""
    if len(labels) < MIN_SELECTION_EXAMPLES or min(counts.values()) < 5:
        return None
    rows = np.arange(len(labels))
    if len(rows) > SELECTION_SAMPLE:  # a stratified sample decides as well, much sooner
        rows, _ = train_test_split(
            rows, train_size=SELECTION_SAMPLE, stratify=labels, random_state=0
        )
    train, held = train_test_split(
        rows, test_size=0.2, stratify=[labels[i] for i in rows], random_state=0
    )
    return _Split(np.asarray(train), np.asarray(held))
