"""`ivr flows history|diff|publish|rollback` on a real SQLite store and a real Redis."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis as syncredis
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import PROJECT_DIR
from ivr.keys import Keys
from tests.conftest import REDIS_URL


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / "config" / part)
    return tmp_path / "config"


def run(tmp_path: Path, config: Path, keys: Keys, *args: str) -> tuple[int, str, str]:
    env = {
        "IVR_REDIS_URL": REDIS_URL,
        "IVR_REDIS_PREFIX": keys.prefix,
        "IVR_CONFIG_DIR": str(config),
        "IVR_DATABASE_URL": f"sqlite:///{tmp_path / 'ivr.db'}",
        "IVR_DATA_DIR": str(tmp_path / "var"),
    }
    result = CliRunner().invoke(app, ["flows", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_publish_history_diff_rollback(tmp_path: Path, config: Path, keys: Keys) -> None:
    original = (config / "flows" / "survey.yaml").read_text()
    longer = tmp_path / "survey.yaml"
    longer.write_text(
        original.replace("    thanks: survey_thanks", "    timeout: 9\n    thanks: survey_thanks")
    )
    code, out, err = run(
        tmp_path, config, keys, "publish", "survey", str(longer), "-m", "wait longer"
    )
    assert (code, out.strip()) == (0, "published survey v2"), err
    assert (config / "flows" / "survey.yaml").read_text() == longer.read_text()
    # Running servers are told through Redis.
    client = syncredis.Redis.from_url(REDIS_URL)
    try:
        assert client.hget(keys.flows_live(), "survey") == b"2"
    finally:
        client.close()
    code, out, _ = run(tmp_path, config, keys, "diff", "survey", "1", "2")
    assert code == 0 and "+    timeout: 9" in out
    code, out, _ = run(tmp_path, config, keys, "rollback", "survey", "1")
    assert (code, out.strip()) == (0, "published survey v3 (= v1)")
    assert (config / "flows" / "survey.yaml").read_text() == original
    code, out, _ = run(tmp_path, config, keys, "history", "survey")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["*v3", "v2", "v1"]
    assert lines[0].endswith("rollback to version 1") and lines[1].endswith("wait longer")


def test_an_invalid_file_is_refused_with_its_line(tmp_path: Path, config: Path, keys: Keys) -> None:
    trap = tmp_path / "trap.yaml"
    trap.write_text(
        "name: survey\nstart: m\nnodes:\n"
        '  m: {type: menu, prompt: survey_question, options: {"1": m}, on_fail: m}\n'
    )
    code, _, err = run(tmp_path, config, keys, "publish", "survey", str(trap))
    assert code == 1
    assert "survey.yaml:4: survey/m: menu can never be left" in err
    assert "nothing was published" in err
