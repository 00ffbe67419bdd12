"""`ivr transcribe` on real files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ivr.cli import app


def test_transcribe_prints_json_per_file_and_errors_for_bad_ones(
    dev_clips: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("IVR_ASR_ENGINE", "sphinx")  # the light fallback; Whisper: test_whisper
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF0000WAVEnothing")
    files = [str(dev_clips[0].path), str(dev_clips[2].path), str(broken)]
    result = CliRunner().invoke(app, ["transcribe", *files, "--json"])
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [row["file"] for row in rows] == files
    for row in rows[:2]:
        assert row["text"] and row["engine"] == "sphinx"
        assert row["real_time_factor"] > 0 and row["duration_seconds"] > 1
        assert row["cues"]["loudness_dbfs"] < 0
    assert "decode" in rows[2]["error"]


def test_transcribe_prints_a_readable_summary(
    dev_clips: list[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("IVR_ASR_ENGINE", "sphinx")
    result = CliRunner().invoke(app, ["transcribe", str(dev_clips[1].path)])
    assert result.exit_code == 0, result.output
    for label in ("transcript:", "confidence:", "real-time factor:", "voice: loudness"):
        assert label in result.stdout


def test_an_unknown_engine_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(app, ["transcribe", "x.wav", "--engine", "telepathy"])
    assert result.exit_code == 2
    assert "telepathy" in result.output
