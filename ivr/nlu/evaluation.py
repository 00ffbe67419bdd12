"""Measuring a classifier on a labelled CSV (`text,category`): accuracy, macro-F1, latency."""

from __future__ import annotations

import csv
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ivr.errors import InvalidInputError


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One row of a labelled CSV, with its line for error messages."""

    text: str
    category: str
    line: int


@dataclass(slots=True)
class ClassScore:
    """Precision, recall and F1 of one category."""

    category: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(slots=True)
class EvaluationReport:
    """What `ivr nlu eval` prints."""

    accuracy: float
    macro_f1: float
    count: int
    per_class: list[ClassScore]
    ms_per_utterance: float
    train_seconds: float | None = None
    confusions: list[tuple[str, str, int]] = field(default_factory=list)
    # What the trained model is made of (TextClassifier.describe), when one was trained.
    model: str | None = None

    def worst(self, n: int = 5) -> list[ClassScore]:
        """The n categories with the lowest F1."""
        return sorted(self.per_class, key=lambda c: (c.f1, c.category))[:n]

    def lines(self) -> list[str]:
        """The report as text; the last line is `accuracy: 0.XXXX`."""
        out = [f"utterances: {self.count}"]
        if self.train_seconds is not None:
            out.append(f"training time: {self.train_seconds:.2f} s")
        if self.model is not None:
            out.append(f"model: {self.model}")
        out.append(f"latency: {self.ms_per_utterance:.3f} ms per utterance")
        out.append(f"macro-F1: {self.macro_f1:.4f}")
        out.append("worst classes (F1, precision, recall, support):")
        for c in self.worst():
            out.append(
                f"  {c.category}: {c.f1:.3f} p={c.precision:.3f} r={c.recall:.3f} n={c.support}"
            )
        if self.confusions:
            out.append("most frequent confusions (true -> predicted):")
            out.extend(f"  {t} -> {p}: {n}" for t, p, n in self.confusions)
        out.append(f"accuracy: {self.accuracy:.4f}")
        return out


def read_labelled_csv(path: Path, *, label: str = "category") -> list[LabelledText]:
    """Rows of a CSV with `text` and `label` columns (others ignored); errors name the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"{path}: cannot read: {exc.strerror}", field=str(path)) from exc
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInputError(f"{path}:{line}: not UTF-8 text", field=str(path)) from exc
    reader = csv.reader(content.splitlines(keepends=True), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if "text" not in header or label not in header:
            raise InvalidInputError(
                f"{path}:1: the header must name the columns 'text' and '{label}'",
                field=str(path),
            )
        columns = (header.index("text"), header.index(label), len(header))
        rows = [_row(path, reader.line_num, fields, columns) for fields in reader if fields]
    except csv.Error as exc:
        raise InvalidInputError(f"{path}:{reader.line_num}: {exc}", field=str(path)) from exc
    if not rows:
        raise InvalidInputError(f"{path}: no rows after the header", field=str(path))
    return rows


def csv_has_column(path: Path, column: str) -> bool:
    """True when the CSV's header names `column` (False for unreadable files)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return column in [h.strip().lower() for h in header]


def _row(path: Path, line: int, fields: list[str], columns: tuple[int, int, int]) -> LabelledText:
    text_at, label_at, width = columns
    if len(fields) != width:
        raise InvalidInputError(
            f"{path}:{line}: expected {width} fields as in the header, found {len(fields)}",
            field=str(path),
        )
    text, category = fields[text_at], fields[label_at].strip()
    if not category:
        raise InvalidInputError(f"{path}:{line}: the label is empty", field=str(path))
    return LabelledText(text=text, category=category, line=line)


def evaluate(
    predict: Callable[[str], str],
    rows: Sequence[LabelledText],
    *,
    train_seconds: float | None = None,
) -> EvaluationReport:
    """Predict every row one at a time (as calls arrive) and score the predictions."""
    started = time.perf_counter()
    predicted = [predict(row.text) for row in rows]
    elapsed = time.perf_counter() - started
    truth = [row.category for row in rows]
    return score(
        truth,
        predicted,
        ms_per_utterance=1000.0 * elapsed / max(len(rows), 1),
        train_seconds=train_seconds,
    )


def score(
    truth: Sequence[str],
    predicted: Sequence[str],
    *,
    ms_per_utterance: float = 0.0,
    train_seconds: float | None = None,
) -> EvaluationReport:
    """Accuracy, per-class and macro F1 (over the true categories) and top confusions."""
    pairs = list(zip(truth, predicted, strict=True))
    correct = sum(t == p for t, p in pairs)
    per_class = []
    for category in sorted(set(truth)):
        tp = sum(t == p == category for t, p in pairs)
        fp = sum(p == category and t != category for t, p in pairs)
        fn = sum(t == category and p != category for t, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append(ClassScore(category, precision, recall, f1, tp + fn))
    confusions = Counter((t, p) for t, p in pairs if t != p).most_common(5)
    return EvaluationReport(
        accuracy=correct / len(pairs) if pairs else 0.0,
        macro_f1=sum(c.f1 for c in per_class) / len(per_class) if per_class else 0.0,
        count=len(pairs),
        per_class=per_class,
        ms_per_utterance=ms_per_utterance,
        train_seconds=train_seconds,
        confusions=[(t, p, n) for (t, p), n in confusions],
    )
