"""Labelled CSVs and scores: malformed files name the line; metrics are right."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import InvalidInputError
from ivr.nlu.evaluation import csv_has_column, evaluate, read_labelled_csv, score


def _csv(tmp_path: Path, body: str | bytes) -> Path:
    path = tmp_path / "set.csv"
    if isinstance(body, bytes):
        path.write_bytes(body)
    else:
        path.write_text(body, encoding="utf-8")
    return path


def test_reads_rows_with_lines_and_extra_columns(tmp_path: Path) -> None:
    path = _csv(
        tmp_path, 'text,category,emotion\n"hi, there",general,neutral\n我要转账,payments,angry\n'
    )
    rows = read_labelled_csv(path)
    assert [(r.text, r.category, r.line) for r in rows] == [
        ("hi, there", "general", 2),
        ("我要转账", "payments", 3),
    ]
    assert [r.category for r in read_labelled_csv(path, label="emotion")] == ["neutral", "angry"]
    assert csv_has_column(path, "emotion") and not csv_has_column(path, "topic")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("words,label\nhi,general\n", ":1: the header"),
        ("text,category\nhi,general\nlost card\n", ":3: expected 2 fields"),
        ("text,category\nhi,general\nhello,general,extra\n", ":3: expected 2 fields"),
        ("text,category\nhi,general\nhello,\n", ":3: the label is empty"),
        ('text,category\nhi,general\n"unclosed,general\n', ":3: unexpected end"),
        (b"text,category\nhi,general\n\xff\xfe,general\n", ":3: not UTF-8"),
        ("text,category\n", "no rows"),
        ("", ":1: the header"),
    ],
)
def test_malformed_csv_names_the_line(tmp_path: Path, body: str | bytes, message: str) -> None:
    path = _csv(tmp_path, body)
    with pytest.raises(InvalidInputError, match=message) as caught:
        read_labelled_csv(path)
    assert str(path) in str(caught.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        read_labelled_csv(tmp_path / "absent.csv")


def test_scores() -> None:
    report = score(["a", "a", "b", "b"], ["a", "b", "b", "b"], ms_per_utterance=1.5)
    assert report.accuracy == 0.75
    per = {c.category: c for c in report.per_class}
    assert per["a"].precision == 1.0 and per["a"].recall == 0.5
    assert per["b"].f1 == pytest.approx(0.8)
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    assert report.confusions == [("a", "b", 1)]
    assert report.worst(1)[0].category == "a"
    lines = report.lines()
    assert lines[-1] == "accuracy: 0.7500"
    assert "latency: 1.500 ms per utterance" in lines


def test_evaluate_times_each_prediction(tmp_path: Path) -> None:
    rows = read_labelled_csv(_csv(tmp_path, "text,category\nx,x\ny,x\n"))
    report = evaluate(lambda text: text, rows, train_seconds=2.0)
    assert report.accuracy == 0.5
    assert report.ms_per_utterance >= 0.0
    assert "training time: 2.00 s" in report.lines()
