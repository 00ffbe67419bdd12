"""Topic classifier benchmark: ours beside a plain TF-IDF + LinearSVC trained in the same run.

    .venv/bin/python bench/nlu.py [--banking77 PATH] [--folds 5] [--dev tests/data/nlu_dev.csv]

1. BANKING77 (77 intents) with stratified k-fold cross-validation: accuracy,
   training time and per-utterance latency (one text at a time, as calls arrive).
2. The bilingual dev set: both learners trained from routing/topics.yaml.
Each section ends with a line giving ours / baseline as a ratio.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from ivr.config import PROJECT_DIR
from ivr.nlu.examples import load_topics
from ivr.nlu.learner import TextClassifier
from ivr.nlu.understanding import Understanding

Predict = Callable[[str], str]


def baseline() -> Pipeline:
    """The plain baseline the issue names: default TF-IDF words + LinearSVC."""
    return make_pipeline(TfidfVectorizer(), LinearSVC())


def measure(predict: Predict, texts: Sequence[str], labels: Sequence[str]) -> tuple[float, float]:
    """(accuracy, ms per utterance), predicting one text at a time."""
    started = time.perf_counter()
    predicted = [predict(t) for t in texts]
    ms = 1000.0 * (time.perf_counter() - started) / len(texts)
    return sum(p == y for p, y in zip(predicted, labels, strict=True)) / len(texts), ms


def read_csv(path: Path, label: str = "category") -> tuple[list[str], list[str]]:
    """(texts, labels) of a labelled CSV."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["text"] for r in rows], [r[label] for r in rows]


def banking77(path: Path, folds: int) -> None:
    """Cross-validated accuracy, training time and latency on BANKING77."""
    texts, labels = read_csv(path)
    results: dict[str, list[tuple[float, float, float]]] = {"ours": [], "baseline": []}
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    for k, (train, test) in enumerate(split.split(texts, labels), 1):
        x_train, y_train = [texts[i] for i in train], [labels[i] for i in train]
        x_test, y_test = [texts[i] for i in test], [labels[i] for i in test]
        started = time.perf_counter()
        ours = TextClassifier().fit(x_train, y_train, calibrate=False)
        fit_ours = time.perf_counter() - started
        started = time.perf_counter()
        base = baseline().fit(x_train, y_train)
        fit_base = time.perf_counter() - started
        acc, ms = measure(lambda t, m=ours: m.ranked(t)[0][0], x_test, y_test)
        results["ours"].append((acc, fit_ours, ms))
        acc_b, ms_b = measure(lambda t, m=base: str(m.predict([t])[0]), x_test, y_test)
        results["baseline"].append((acc_b, fit_base, ms_b))
        print(f"  fold {k}: ours {acc:.4f}  baseline {acc_b:.4f}", flush=True)
    summary = {}
    for name, rows in results.items():
        acc = statistics.mean(r[0] for r in rows)
        fit = statistics.mean(r[1] for r in rows)
        ms = statistics.mean(r[2] for r in rows)
        summary[name] = (acc, fit, ms)
        print(
            f"banking77 {folds}-fold {name:8s}: accuracy {acc:.4f}  train {fit:5.1f} s  "
            f"latency {ms:.3f} ms/utterance"
        )
    ratio = summary["ours"][0] / summary["baseline"][0]
    print(
        f"banking77 accuracy ratio ours/baseline: {ratio:.4f} "
        f"({summary['ours'][0]:.4f} vs {summary['baseline'][0]:.4f}); "
        f"latency ratio {summary['ours'][2] / summary['baseline'][2]:.3f}"
    )
    print(
        "  (the shipped word-piece vectors were refined on these training sentences' text, no\n"
        "  labels, so each fold's test half was seen unlabelled; refined on each fold's training\n"
        "  half only: scripts/build_wordpiece_vectors.py --check-folds 5, see ivr/nlu/data/)"
    )


def dev_set(path: Path) -> None:
    """Both learners trained on routing/topics.yaml, measured on the bilingual dev set."""
    texts, labels = read_csv(path)
    started = time.perf_counter()
    understanding = Understanding.load(PROJECT_DIR / "routing")
    fit_ours = time.perf_counter() - started
    train_texts, train_labels = load_topics(PROJECT_DIR / "routing").training_set()
    started = time.perf_counter()
    base = baseline().fit(train_texts, train_labels)
    fit_base = time.perf_counter() - started
    acc, ms = measure(lambda t: understanding.topic(t).topic.value, texts, labels)
    acc_b, ms_b = measure(lambda t: str(base.predict([t])[0]), texts, labels)
    print(f"dev set ours    : accuracy {acc:.4f}  train {fit_ours:5.1f} s  latency {ms:.3f} ms")
    print(f"dev set baseline: accuracy {acc_b:.4f}  train {fit_base:5.1f} s  latency {ms_b:.3f} ms")
    print(f"dev set accuracy ratio ours/baseline: {acc / acc_b:.4f} ({acc:.4f} vs {acc_b:.4f})")


def main(argv: Sequence[str] | None = None) -> int:
    """Run both sections."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--banking77",
        type=Path,
        default=PROJECT_DIR.parent / "shared" / "data" / "banking77" / "train.csv",
    )
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--dev", type=Path, default=PROJECT_DIR / "tests" / "data" / "nlu_dev.csv")
    args = parser.parse_args(argv)
    banking77(args.banking77, args.folds)
    dev_set(args.dev)
    return 0


if __name__ == "__main__":
    sys.exit(main())
