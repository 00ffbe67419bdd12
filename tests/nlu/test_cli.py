"""`ivr nlu classify|eval` through the real `ivr` app."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import PROJECT_DIR

runner = CliRunner()


@pytest.fixture
def env(model_cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The shipped config; the session's model cache as the data dir, so one training serves all."""
    monkeypatch.chdir(PROJECT_DIR)
    return {"IVR_DATA_DIR": str(model_cache), "IVR_CONFIG_DIR": str(PROJECT_DIR)}


def test_classify_json_has_the_contract_fields(env: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["nlu", "classify", "我的信用卡被盜刷了，我好擔心", "--json"], env=env
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["topic"] == "fraud_dispute"
    assert payload["emotion"] == "anxious"
    assert payload["language"] == "zh-CN"
    assert 0.0 < payload["topic_confidence"] <= 1.0
    assert 0.0 < payload["emotion_intensity"] <= 1.0
    assert payload["cues"][0]["source"] == "text"
    assert payload["cues"][0]["emotion"] == "anxious"


def test_classify_text_output(env: dict[str, str]) -> None:
    result = runner.invoke(
        app, ["nlu", "classify", "I'm not angry, just confused", "--lang", "en-US"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "emotion: neutral" in result.stdout
    assert "negated_anger_word" in result.stdout


def test_classify_empty_text_is_general(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["nlu", "classify", "", "--json"], env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["topic"], payload["emotion"]) == ("general", "neutral")


def test_eval_shipped_topic_model_on_dev_set(env: dict[str, str], dev_set: Path) -> None:
    result = runner.invoke(app, ["nlu", "eval", "--test", str(dev_set)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert re.fullmatch(r"accuracy: 0\.\d{4}", lines[-1])
    assert float(lines[-1].split()[1]) >= 0.93
    assert any(line.startswith("macro-F1: ") for line in lines)
    assert any(line.startswith("latency: ") for line in lines)
    assert "worst classes" in result.stdout


def test_eval_emotion_reads_the_emotion_column(env: dict[str, str], dev_set: Path) -> None:
    result = runner.invoke(
        app, ["nlu", "eval", "--test", str(dev_set), "--target", "emotion"], env=env
    )
    assert result.exit_code == 0, result.output
    assert float(result.stdout.strip().splitlines()[-1].split()[1]) >= 0.94


def test_eval_emotion_on_a_plain_csv(env: dict[str, str], tmp_path: Path) -> None:
    test = tmp_path / "emotions.csv"
    test.write_text(
        "text,category\nI am furious,angry\nmy dad passed away,sad\nbalance please,neutral\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        app, ["nlu", "eval", "--test", str(test), "--target", "emotion"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == "accuracy: 1.0000"


def test_eval_trains_the_generic_learner(env: dict[str, str], tmp_path: Path) -> None:
    train = tmp_path / "train.csv"
    test = tmp_path / "test.csv"
    rows = ["text,category"]
    for i in range(6):
        rows += [f"where is my parcel number {i},delivery", f"refund my order {i},refund"]
    train.write_text("\n".join(rows) + "\n", encoding="utf-8")
    test.write_text(
        "text,category\nparcel not here,delivery\nI want a refund,refund\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["nlu", "eval", "--train", str(train), "--test", str(test)], env=env
    )
    assert result.exit_code == 0, result.output
    assert "training time: " in result.stdout
    assert "model: word and character n-grams\n" in result.stdout  # too few to try more
    assert result.stdout.strip().splitlines()[-1] == "accuracy: 1.0000"
    # Each stage of the training is told on stderr as it starts, with the time so far;
    # stdout stays the report alone.
    stages = [line.split(" s  ", 1)[1] for line in result.stderr.splitlines()]
    assert stages == [
        f"reading {test}",
        f"reading {train}",
        "reading 12 examples of 2 labels",
        "training the classifier on every example",
        "predicting 2 test rows",
    ]
    assert all(re.match(r"eval +\d+\.\d s  ", line) for line in result.stderr.splitlines())
    assert "eval " not in result.stdout


def test_eval_malformed_csv_names_the_line(env: dict[str, str], tmp_path: Path) -> None:
    test = tmp_path / "broken.csv"
    test.write_text("text,category\nfine,general\nno label here\n", encoding="utf-8")
    result = runner.invoke(app, ["nlu", "eval", "--test", str(test)], env=env)
    assert result.exit_code == 2
    assert f"{test}:3: expected 2 fields" in result.stderr
