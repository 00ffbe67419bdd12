"""`ivr agents ...` against real Redis (IVR_REDIS_URL set: the direct mode), and through the API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import PROJECT_DIR
from ivr.keys import Keys

REDIS_URL = "redis://127.0.0.1:6379/0"


def _run(keys: Keys, *args: str) -> tuple[int, str, str]:
    env = {
        "IVR_REDIS_URL": REDIS_URL,
        "IVR_REDIS_PREFIX": keys.prefix,
        "IVR_CONFIG_DIR": str(PROJECT_DIR),
    }
    result = CliRunner().invoke(app, ["agents", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def test_add_list_status_remove(keys: Keys) -> None:
    code, out, err = _run(
        keys,
        "add",
        "amy",
        "--name",
        "Amy Lin",
        "--skill",
        "card_services=4",
        "--skill",
        "loans=2",
        "--lang",
        "en-US",
        "--trait",
        "de_escalation",
    )
    assert code == 0, err
    assert out.startswith("amy") and "available" in out
    code, out, _ = _run(keys, "status", "amy", "away")
    assert code == 0 and "away" in out
    code, out, _ = _run(keys, "list", "--json")
    views = json.loads(out)
    assert [(v["agent"]["id"], v["status"]["state"]) for v in views] == [("amy", "away")]
    assert views[0]["agent"]["skills"] == {"card_services": 4, "loans": 2}
    code, out, _ = _run(keys, "remove", "amy")
    assert code == 0
    assert json.loads(_run(keys, "list", "--json")[1]) == []


def test_bad_input_exits_one_and_changes_nothing(keys: Keys) -> None:
    _run(keys, "add", "amy", "--name", "Amy", "--skill", "general=3", "--lang", "en-US")
    code, _, err = _run(keys, "status", "amy", "sleeping")
    assert code == 1 and "unknown agent state" in err
    code, _, err = _run(keys, "status", "ghost", "away")
    assert code == 1 and "unknown agent" in err
    code, _, err = _run(
        keys, "add", "bo", "--name", "Bo", "--skill", "general=9", "--lang", "en-US"
    )
    assert code == 1 and "1..5" in err
    code, _, err = _run(
        keys, "add", "amy", "--name", "Twin", "--skill", "general=1", "--lang", "en-US"
    )
    assert code == 1 and "already exists" in err
    views = json.loads(_run(keys, "list", "--json")[1])
    assert [(v["agent"]["name"], v["status"]["state"]) for v in views] == [("Amy", "available")]


def test_seed_the_shipped_roster(keys: Keys) -> None:
    code, out, err = _run(keys, "seed")
    assert code == 0, err
    assert "seeded 5 agent(s)" in out
    assert len(json.loads(_run(keys, "list", "--json")[1])) == 5


class _Reply:
    status_code = 200
    content = b"[]"
    text = "[]"

    def json(self) -> list[object]:
        return []


def _run_remote(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str | None], *args: str
) -> tuple[int, str, str, list[tuple[str, str, dict[str, str]]]]:
    """`ivr agents ...` through the API (no IVR_REDIS_URL), with httpx recorded, not sent."""
    sent: list[tuple[str, str, dict[str, str]]] = []

    def fake_request(method: str, url: str, **kwargs: Any) -> _Reply:
        sent.append((method, url, kwargs.get("headers", {})))
        return _Reply()

    monkeypatch.setattr(httpx, "request", fake_request)
    monkeypatch.chdir(tmp_path)  # no .env of the working directory
    base: dict[str, str | None] = {
        "IVR_REDIS_URL": None,
        "IVR_ADMIN_TOKEN": None,
        "IVR_PUBLIC_URL": None,
    }
    result = CliRunner().invoke(app, ["agents", *args], env={**base, **env})
    return result.exit_code, result.stdout, result.stderr, sent


def test_remote_without_a_token_says_so_and_sends_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"IVR_PUBLIC_URL": "http://127.0.0.1:8123"}
    code, _, err, sent = _run_remote(monkeypatch, tmp_path, env, "list")
    assert code == 2
    assert "admin token" in err and "--token" in err and "IVR_ADMIN_TOKEN" in err
    assert "ivr token create --role admin" in err
    assert "Illegal header" not in err and "Bearer" not in err
    assert sent == []


def test_remote_uses_public_url_and_the_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"IVR_PUBLIC_URL": "http://127.0.0.1:8123", "IVR_ADMIN_TOKEN": "env-secret"}
    code, _, err, sent = _run_remote(monkeypatch, tmp_path, env, "list")
    assert code == 0, err
    assert sent == [
        ("GET", "http://127.0.0.1:8123/api/agents", {"Authorization": "Bearer env-secret"})
    ]
    code, _, err, sent = _run_remote(monkeypatch, tmp_path, {}, "list", "--token", "flag-secret")
    assert code == 0, err
    assert sent == [
        ("GET", "http://127.0.0.1:8080/api/agents", {"Authorization": "Bearer flag-secret"})
    ]
    env = {"IVR_PUBLIC_URL": "http://127.0.0.1:8123"}
    code, _, err, sent = _run_remote(
        monkeypatch, tmp_path, env, "list", "--url", "http://10.0.0.9:9000/", "--token", "t"
    )
    assert code == 0, err
    assert [url for _, url, _ in sent] == ["http://10.0.0.9:9000/api/agents"]
