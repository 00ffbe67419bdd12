"""The Whisper model on disk: assembled from its packages, and refused at start when corrupt."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import Settings
from ivr.connections import free_port
from ivr.errors import ConfigError
from ivr.speech.recognize import Transcriber, check_engine
from ivr.speech.whisper_model import MODEL_SHA256, SIDE_FILES, file_sha256


def test_the_installed_parts_join_into_the_checked_model(
    speech_settings: Settings, whisper: Transcriber
) -> None:
    folder = speech_settings.asr_model_dir
    assert file_sha256(folder / "model.bin") == MODEL_SHA256
    assert all((folder / name).is_file() for name in SIDE_FILES)
    assert check_engine(speech_settings) == "whisper"


@pytest.fixture
def corrupt_model(tmp_path: Path, speech_settings: Settings, whisper: Transcriber) -> Path:
    """A copy of the model folder whose model.bin has one byte changed."""
    folder = tmp_path / "whisper-base"
    folder.mkdir()
    for name in SIDE_FILES:
        shutil.copyfile(speech_settings.asr_model_dir / name, folder / name)
    shutil.copyfile(speech_settings.asr_model_dir / "model.bin", folder / "model.bin")
    with (folder / "model.bin").open("r+b") as model:
        model.seek(1_000_000)
        byte = model.read(1)
        model.seek(1_000_000)
        model.write(bytes([byte[0] ^ 0xFF]))
    return folder


def test_a_corrupt_model_is_refused_not_loaded(corrupt_model: Path, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        asr_model_path=str(corrupt_model),
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(ConfigError, match="corrupt") as refused:
        check_engine(settings)
    assert str(corrupt_model / "model.bin") in str(refused.value)
    with pytest.raises(ConfigError, match="corrupt"):
        Transcriber.from_settings(settings)


@pytest.mark.parametrize("command", [["worker"], ["serve", "--port", str(free_port())]])
def test_serve_and_worker_exit_2_naming_a_corrupt_model(
    corrupt_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("IVR_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env file here
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("IVR_ASR_MODEL_PATH", str(corrupt_model))
    monkeypatch.setenv("IVR_REDIS_URL", "redis://127.0.0.1:6379/0")
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert "corrupt" in result.output and "model.bin" in result.output


def test_a_missing_model_folder_is_assembled_but_a_wrong_one_is_named(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        asr_model_path=str(tmp_path / "elsewhere"),
        asr_engine="whisper",
        _env_file=None,  # type: ignore[call-arg]
    )
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="IVR_ASR_MODEL_PATH"):
        check_engine(settings)
