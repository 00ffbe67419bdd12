"""The sentence encoder, asked only about the utterances the fast model is unsure of.

all-MiniLM-L6-v2 (Apache-2.0), exported to ONNX with its mean pooling and
quantised to int8 (23 MB in `ivr/nlu/data/`, no download, no torch): it reads
word order and context, which n-grams and static piece vectors cannot. It costs
about 5 ms an utterance on one core, against 0.6 ms for the n-gram model, so a
learner asks it only below a confidence it measured on held-out examples
(`ivr.nlu.learner`); on BANKING77 that is about one utterance in ten, and it
lifts 5-fold accuracy by about one point (0.9155 to 0.9256).
`scripts/build_encoder.py` rebuilds the file (it needs torch; the service
does not).

Its vocabulary is BERT's uncased English word pieces plus single CJK
characters; whether it helps a given label set is measured, never assumed.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import onnxruntime
from numpy.typing import NDArray
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer

ENCODER_FILE = "minilm-l6-int8.onnx"
TOKENIZER_FILE = "minilm-tokenizer.json"
# The encoder was trained on up to 128 pieces; a longer text is cut there.
MAX_PIECES = 128
# Threads encoding training texts (beside the n-gram model's training on the main thread).
TRAINING_THREADS = min(2, len(os.sched_getaffinity(0)))
# Texts per batch when encoding many (sorted by length, so padding stays small).
BATCH = 64


class SentenceEncoder:
    """Unit-length sentence embeddings from an ONNX model taking piece ids and a mask."""

    def __init__(self, model_path: str, tokenizer_path: str, *, threads: int = 1) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Threads sleep between runs instead of spinning: training goes on beside them.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(
            model_path, options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(tokenizer_path)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_PIECES)
        self.dimensions = int(self._session.get_outputs()[0].shape[1] or 384)

    def encode(self, text: str) -> NDArray[np.float32]:
        """One text's embedding."""
        row: NDArray[np.float32] = self.encode_many([text])[0]
        return row

    def encode_many(self, texts: list[str]) -> NDArray[np.float32]:
        """One row per text, in order; batches of similar length keep padding small."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        if not texts:
            return out
        pieces = [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]
        order = np.argsort([len(p) for p in pieces], kind="stable")
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(pieces[r]) for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, row in enumerate(rows):
                ids[k, : len(pieces[row])] = pieces[row]
                mask[k, : len(pieces[row])] = 1
            out[rows] = self._session.run(None, {"ids": ids, "mask": mask})[0]
        return out


@lru_cache(maxsize=2)
def shipped_encoder(threads: int = 1) -> SentenceEncoder:
    """The encoder shipped in `ivr/nlu/data/`, loaded once per process and thread count."""
    data = resources.files("ivr.nlu") / "data"
    with (
        resources.as_file(data / ENCODER_FILE) as model,
        resources.as_file(data / TOKENIZER_FILE) as tokenizer,
    ):
        return SentenceEncoder(str(model), str(tokenizer), threads=threads)


@lru_cache(maxsize=1)
def encoder_fingerprint() -> str:
    """A short hash of the shipped encoder and its tokenizer, for model cache keys."""
    digest = hashlib.sha256()
    for name in (ENCODER_FILE, TOKENIZER_FILE):
        digest.update((resources.files("ivr.nlu") / "data" / name).read_bytes())
    return digest.hexdigest()[:12]


class BackgroundEncoding:
    """The shipped encoder embedding texts on a worker thread while the caller goes on:
    the `sample` rows first, then others up to HEAD_EXAMPLES in all, in chunks (dropped
    by `close` when unneeded)."""

    CHUNK = 1000

    def __init__(self, texts: list[str], sample: NDArray[np.intp]) -> None:
        encoder = shipped_encoder(threads=TRAINING_THREADS)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encoder")
        rest = np.setdiff1d(np.arange(len(texts)), sample)
        room = max(0, HEAD_EXAMPLES - len(sample))
        if len(rest) > room:  # a random subset: the head gains little past HEAD_EXAMPLES
            rest = np.sort(np.random.default_rng(0).choice(rest, size=room, replace=False))
        chunks = (
            [sample, *np.array_split(rest, -(-len(rest) // self.CHUNK))] if len(rest) else [sample]
        )
        self._parts: list[tuple[NDArray[np.intp], Future[NDArray[np.float32]]]] = [
            (rows, self._pool.submit(encoder.encode_many, [texts[i] for i in rows]))
            for rows in chunks
        ]

    def sample(self) -> NDArray[np.float32]:
        """The embeddings of the `sample` rows, in their order."""
        return self._parts[0][1].result()

    def everything(self) -> tuple[NDArray[np.intp], NDArray[np.float32]]:
        """The rows encoded (`sample` first) and their embeddings."""
        rows = np.concatenate([rows for rows, _ in self._parts])
        return rows, np.vstack([part.result() for _, part in self._parts])

    def close(self) -> None:
        """Drop the chunks not started yet; a running one finishes on its own."""
        self._pool.shutdown(wait=False, cancel_futures=True)


# What `choose_head` tries on held-out examples: the share of least-sure utterances that
# ask the encoder, and the weight of its log-probabilities beside the fast model's. The
# final model, trained on every example, is surer than the held-out one: on BANKING77
# folds a held-out 15% asked about 10% of new utterances (where the gain flattens), and
# 10% only 5% (0.13 points less accurate, 0.26 ms an utterance quicker).
HEAD_SHARES = (0.15, 0.2, 0.3)
HEAD_WEIGHTS = (1.0, 1.5, 2.0)
# At most this many training examples teach the head: on BANKING77 folds 6,000 of 8,000
# read as well as all of them (half lost 0.4 points), and each costs about 4 ms of one core
# to encode, which keeps training 10,000 examples under a minute even on one core.
HEAD_EXAMPLES = 6000
# The logistic regression over embeddings sees them times HEAD_SCALE: unit vectors have
# small entries, and scaled ones converge about 3x sooner to the same accuracy (BANKING77
# folds: C 0.1 at tol 1e-3 read as C 30 unscaled at tol 1e-4, in a third of the time).
HEAD_SCALE = 20.0
HEAD_C = 0.1
# The encoder is kept only when it corrects at least this share of held-out utterances:
# below it, 5 ms an utterance buys noise.
MIN_HEAD_GAIN = 0.005
# Asking it about a larger share must correct at least this much more: each 5% more asked
# costs 0.3 ms an utterance on average (on BANKING77 folds the gain flattens past 10%).
MIN_WIDER_GAIN = 0.002


@dataclass(frozen=True, slots=True)
class EncoderHead:
    """A linear model over encoder embeddings, asked when the fast model's best
    probability is below `threshold`; its log-probabilities join the fast model's
    times `weight`."""

    coef: NDArray[np.float32]  # (dimensions, classes)
    intercept: NDArray[np.float64]
    weight: float
    threshold: float

    def revise(self, fast: NDArray[np.float64], texts: list[str]) -> NDArray[np.float64]:
        """The fast model's log-probabilities (a row per text), unsure rows revised."""
        unsure = np.flatnonzero(np.exp(fast.max(axis=1)) < self.threshold)
        if unsure.size == 0:
            return fast
        # One at a time: int8 activations are scaled per batch, and an utterance must read
        # the same whichever others are asked with it.
        embedded = np.vstack([shipped_encoder().encode(texts[i]) for i in unsure])
        revised = fast.copy()
        revised[unsure] = log_softmax(fast[unsure] + self.weight * self._log_proba(embedded))
        return revised

    def _log_proba(self, embedded: NDArray[np.float32]) -> NDArray[np.float64]:
        scores = np.asarray(embedded @ self.coef, dtype=np.float64) + self.intercept
        return log_softmax(scores)


def fit_head(
    embedded: NDArray[np.float32],
    labels: Sequence[str],
    classes: list[str],
    *,
    weight: float = 1.0,
    threshold: float = 1.0,
) -> EncoderHead:
    """A logistic regression over `embedded`, its columns in `classes` order (a class
    without examples here gets a score it can never win with)."""
    with warnings.catch_warnings():  # an unconverged head is still measured before use
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LogisticRegression(C=HEAD_C, tol=1e-3, max_iter=500)
        model.fit(embedded * np.float32(HEAD_SCALE), list(labels))
    fitted = [str(c) for c in model.classes_]
    coef = np.asarray(model.coef_, dtype=np.float64) * HEAD_SCALE
    intercept = np.asarray(model.intercept_, dtype=np.float64)
    if len(fitted) == 2:  # binary: one score z; log_softmax([0, z]) is its sigmoid
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.concatenate([[0.0], intercept])
    columns = np.zeros((len(classes), coef.shape[1]))
    offsets = np.full(len(classes), -1e4)
    for row, label in enumerate(fitted):
        columns[classes.index(label)] = coef[row]
        offsets[classes.index(label)] = intercept[row]
    return EncoderHead(
        coef=np.ascontiguousarray(columns.T, dtype=np.float32),
        intercept=offsets,
        weight=weight,
        threshold=threshold,
    )


def choose_head(
    train: NDArray[np.float32],
    train_labels: Sequence[str],
    held: NDArray[np.float32],
    held_fast: NDArray[np.float64],
    held_labels: Sequence[str],
    classes: list[str],
) -> tuple[float, float] | None:
    """(weight, threshold) of the best way to ask the encoder, measured on held-out
    examples against the fast model alone (`held_fast`: its log-probabilities), or
    None when no way gains MIN_HEAD_GAIN; a larger share must gain MIN_WIDER_GAIN more."""
    slow = fit_head(train, train_labels, classes)._log_proba(held)
    truth = np.array([classes.index(label) for label in held_labels])
    confidence = np.exp(held_fast.max(axis=1))
    alone = float(np.mean(held_fast.argmax(axis=1) == truth))
    best: tuple[float, float] | None = None
    best_accuracy = alone
    for share in HEAD_SHARES:  # fewer utterances first: each costs an encoding
        threshold = float(np.quantile(confidence, share))
        unsure = (confidence <= threshold)[:, np.newaxis]
        accuracy, weight = max(
            (
                float(
                    np.mean(np.where(unsure, held_fast + w * slow, held_fast).argmax(1) == truth)
                ),
                w,
            )
            for w in HEAD_WEIGHTS
        )
        if accuracy >= best_accuracy + (MIN_HEAD_GAIN if best is None else MIN_WIDER_GAIN):
            best, best_accuracy = (weight, float(np.nextafter(threshold, np.inf))), accuracy
    return best


def log_softmax(scores: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-wise log-softmax."""
    shifted = scores - scores.max(axis=1, keepdims=True)
    out: NDArray[np.float64] = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out
