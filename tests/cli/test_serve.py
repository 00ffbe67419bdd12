"""`ivr serve`: settings errors, the printed set-up, and the real service as a subprocess."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator
from typer.testing import CliRunner, Result

import ivr.cli.serve as serve_module
from ivr import cli
from ivr.cli.serve import banner, local_base_url, try_call_command
from ivr.config import PROJECT_DIR, Settings
from ivr.connections import PrivateRedis, free_port

IVR = Path(sys.executable).with_name("ivr")


def _clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a new user: no IVR_* settings except a private data dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env["IVR_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def _serve_in_process(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str, **env: str
) -> Result:
    """`ivr serve` in this process for the cases that stop before the server starts."""
    for name in list(os.environ):
        if name.startswith("IVR_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IVR_DATA_DIR", str(tmp_path / "var"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env file here
    return CliRunner().invoke(cli.app, ["serve", *args])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("IVR_PUBLIC_URL", "ftp://bank.example"),
        ("IVR_CALL_TTL_SECONDS", "a while"),
        ("IVR_LOG_LEVEL", "loud"),
        ("IVR_TIMEZONE", "Mars/Olympus_Mons"),
    ],
)
def test_a_bad_setting_is_named_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    result = _serve_in_process(monkeypatch, tmp_path, **{variable: value})
    assert result.exit_code == 2, result.output
    assert variable in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    # Nothing was started: no private Redis data.
    assert not (tmp_path / "var" / "redis").exists()


def test_invalid_flows_are_refused_with_every_error_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(PROJECT_DIR / part, config / part)
    main = config / "flows" / "main.yaml"
    text = main.read_text()
    assert "next: hours" in text
    main.write_text(text.replace("next: hours", "next: no_such_node", 1))

    result = _serve_in_process(monkeypatch, tmp_path, IVR_CONFIG_DIR=str(config))
    assert result.exit_code == 2, result.output
    assert "main.yaml" in result.stderr
    assert "no_such_node" in result.stderr
    assert not (tmp_path / "var" / "redis").exists()


def test_a_redis_url_of_the_wrong_kind_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = _serve_in_process(monkeypatch, tmp_path, IVR_REDIS_URL="http://127.0.0.1:6379")
    assert result.exit_code == 2, result.output
    assert "IVR_REDIS_URL" in result.stderr


def test_a_port_in_use_is_named_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = _serve_in_process(monkeypatch, tmp_path, "--port", str(port))
    assert result.exit_code == 2, result.output
    assert f"--port {port}" in result.stderr
    assert not (tmp_path / "var" / "redis").exists()


def test_a_data_dir_in_use_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with PrivateRedis(data_dir=tmp_path / "var") as running:
        result = _serve_in_process(monkeypatch, tmp_path)
        assert result.exit_code == 2, result.output
        assert "IVR_DATA_DIR" in result.stderr
        assert running.pid is not None


def test_local_base_url_is_dialable() -> None:
    plain = Settings(_env_file=None)
    assert local_base_url(plain, "127.0.0.1", 8080) == "http://127.0.0.1:8080"
    assert local_base_url(plain, "0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert local_base_url(plain, "::1", 8080) == "http://[::1]:8080"
    public = Settings(public_url="https://ivr.bank.example/", _env_file=None)
    assert local_base_url(public, "0.0.0.0", 8080) == "https://ivr.bank.example"


def test_banner_tells_what_to_configure(tmp_path: Path) -> None:
    settings = Settings(
        twilio_auth_token="abc123secret",
        data_dir=tmp_path,
        database_url="postgresql://ivr:pw@db/ivr",
        _env_file=None,
    )
    text = "\n".join(
        banner(
            settings=settings,
            base_url="https://ivr.bank.example",
            redis_url="redis://127.0.0.1:41234/0",
            private=True,
            workers=2,
        )
    )
    assert "POST https://ivr.bank.example/twilio/voice" in text
    assert "POST https://ivr.bank.example/twilio/status" in text
    # A token given through IVR_TWILIO_AUTH_TOKEN is a real account secret: masked.
    assert "abc123secret" not in text
    assert "abc1… is set" in text
    assert "IVR_TWILIO_AUTH_TOKEN" in text
    assert "pw@" not in text
    assert "private redis-server" in text
    assert "2 workers" in text
    assert "call --url https://ivr.bank.example --press 1" in text


def _banner_text(settings: Settings) -> str:
    return "\n".join(
        banner(
            settings=settings,
            base_url="http://127.0.0.1:8080",
            redis_url="redis://127.0.0.1:6379/0",
            private=False,
            workers=1,
        )
    )


def test_banner_shows_a_generated_token_in_full(tmp_path: Path) -> None:
    settings = Settings(twilio_auth_token="", data_dir=tmp_path, _env_file=None)
    token = settings.ensure_auth_token()
    text = _banner_text(settings)
    assert token in text
    assert str(tmp_path / "twilio_auth_token") in text


@pytest.mark.parametrize("token", ["abc", "0123456789abcdef0123456789abcdef"])
def test_banner_never_shows_a_token_from_the_environment(tmp_path: Path, token: str) -> None:
    # Even with a different token kept in the data dir from an earlier run.
    (tmp_path / "twilio_auth_token").write_text("generated-earlier\n")
    text = _banner_text(Settings(twilio_auth_token=token, data_dir=tmp_path, _env_file=None))
    assert token not in text
    assert "generated-earlier" not in text
    assert "is set" in text


def test_try_call_needs_no_url_on_the_default_address() -> None:
    assert try_call_command("http://127.0.0.1:8080").endswith("ivr call --press 1")
    assert try_call_command("http://127.0.0.1:9090").endswith(
        "ivr call --url http://127.0.0.1:9090 --press 1"
    )


# --- the real service ---------------------------------------------------------------------


def _redis_servers_under(data_dir: Path) -> list[int]:
    """Pids of live redis-server processes keeping their data in `data_dir`."""
    # redis-server rewrites its command line, and works in its --dir: find it by that.
    ours = str(data_dir.resolve() / "redis")
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if name == "redis-server" and state != "Z" and cwd == ours:
            pids.append(int(proc.name))
    return pids


class Service:
    """`ivr serve` as a new user starts it: nothing configured but a fresh data dir."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.data_dir = tmp_path / "var"
        self.port = free_port()
        self.log = (tmp_path / "serve.log").open("w+")
        self.process = subprocess.Popen(
            [str(IVR), "serve", "--port", str(self.port), *args],
            env=_clean_env(self.data_dir),
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_healthy(self, within: float = 60.0) -> httpx.Response:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"ivr serve exited {self.process.returncode}:\n{self.output()}")
            try:
                response = httpx.get(self.base + "/healthz", timeout=2.0)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"ivr serve did not become healthy:\n{self.output()}")

    def wait_output(self, text: str, *, count: int = 1, within: float = 60.0) -> None:
        """Wait until the service has printed `text` `count` times."""
        deadline = time.monotonic() + within
        while self.output().count(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                pytest.fail(f"ivr serve never printed {text!r} x{count}:\n{self.output()}")
            time.sleep(0.1)

    def terminate(self, signum: int = signal.SIGTERM) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"ivr serve ignored SIGTERM:\n{self.output()}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in _redis_servers_under(self.data_dir):
            os.kill(pid, signal.SIGKILL)
        self.log.close()


ServiceFactory = Callable[..., Service]


def _post_voice(base: str, token: str) -> httpx.Response:
    """An incoming call as Twilio posts it, signed with `token`."""
    url = f"{base}/twilio/voice"
    params = {
        "CallSid": "CA" + uuid.uuid4().hex,
        "AccountSid": "AC" + "0" * 32,
        "From": "+15551230000",
        "To": "+15559870000",
        "CallStatus": "ringing",
        "Direction": "inbound",
    }
    signature = RequestValidator(token).compute_signature(url, params)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30)


@pytest.fixture
def service_factory(tmp_path: Path) -> Iterator[ServiceFactory]:
    """Starts `ivr serve` in tmp_path; kills whatever is left after the test."""
    started: list[Service] = []

    def start(*args: str) -> Service:
        service = Service(tmp_path, *args)
        started.append(service)
        return service

    yield start
    for service in started:
        service.close()


@pytest.mark.slow
def test_serve_starts_with_nothing_configured_and_stops_cleanly(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory()
    health = service.wait_healthy()
    assert health.json()["status"] == "ok"
    # Embedded defaults: a private Redis and SQLite, both under the data dir.
    assert len(_redis_servers_under(service.data_dir)) == 1
    assert (service.data_dir / "ivr.db").exists()
    token = (service.data_dir / "twilio_auth_token").read_text().strip()
    printed = service.output()
    assert f"POST {service.base}/twilio/voice" in printed
    assert token in printed

    # A client that signs as Twilio does is answered at either local name.
    for host in ("127.0.0.1", "localhost"):
        response = _post_voice(f"http://{host}:{service.port}", token)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
    assert _post_voice(service.base, "not-the-token").status_code == 403

    # Call state is for the service's user only: no TCP port, owner-only files, and the
    # command-line tools find the socket through the data dir.
    url = (service.data_dir / "redis" / "url").read_text().strip()
    assert url.startswith("unix://") and url.endswith("/redis/redis.sock?db=0")
    # (The model cache holds copies of public models, no caller's data.)
    cache = service.data_dir / "cache"
    assert [
        p
        for p in [service.data_dir, *service.data_dir.rglob("*")]
        if p.stat().st_mode & 0o077 and cache not in (p, *p.parents)
    ] == []
    tool = subprocess.run(
        [str(IVR), "tickets", "replay-dead"],
        env=_clean_env(service.data_dir),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tool.returncode == 0 and "replayed 0 event(s)" in tool.stdout, tool.stderr

    assert service.terminate() == 0, service.output()
    assert _redis_servers_under(service.data_dir) == []

    # A restart keeps the token Twilio was given and Redis's append-only data.
    again = service_factory()
    again.wait_healthy()
    assert token in again.output()
    assert (again.data_dir / "redis" / "appendonlydir").is_dir()
    # Ctrl-C stops it as cleanly as SIGTERM.
    assert again.terminate(signal.SIGINT) == 0, again.output()
    assert _redis_servers_under(again.data_dir) == []


@pytest.mark.slow
def test_two_workers_share_one_private_redis(service_factory: ServiceFactory) -> None:
    service = service_factory("--workers", "2")
    service.wait_output("Application startup complete", count=2)
    for _ in range(4):
        assert service.wait_healthy().json()["status"] == "ok"
    assert len(_redis_servers_under(service.data_dir)) == 1
    assert "2 workers" in service.output()

    assert service.terminate() == 0, service.output()
    assert _redis_servers_under(service.data_dir) == []


def test_the_shipped_config_is_what_serve_uses() -> None:
    # `ivr serve` from a clone needs no IVR_CONFIG_DIR: the project's own flows are found.
    assert (PROJECT_DIR / "flows").is_dir()
    assert Settings(_env_file=None).flows_dir == PROJECT_DIR / "flows"


def test_recording_hosts_are_exactly_the_configured_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("IVR_RECORDING_HOSTS", "IVR_TWILIO_AUTH_TOKEN", "IVR_DATA_DIR"):
        monkeypatch.setenv(name, "restored after the test")
        monkeypatch.delenv(name)
    monkeypatch.delenv("IVR_PUBLIC_URL", raising=False)
    local = Settings(data_dir=tmp_path, twilio_auth_token="t", _env_file=None)
    assert local.allowed_recording_hosts == frozenset({"api.twilio.com"})
    # What `ivr serve` hands its workers: no quiet 127.0.0.1 without a public URL.
    serve_module._export(local)
    assert os.environ["IVR_RECORDING_HOSTS"] == "api.twilio.com"


def _children_running(parent: int, argv_part: str) -> list[int]:
    """Pids of live processes whose parent is `parent` and whose command line has `argv_part`."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat[1]) == parent and stat[0] != "Z" and argv_part in argv:
            pids.append(int(proc.name))
    return pids


def _eventually(check: Callable[[], bool], within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.slow
def test_a_killed_private_redis_or_persister_is_started_again(
    service_factory: ServiceFactory,
) -> None:
    service = service_factory()
    service.wait_healthy()
    token = (service.data_dir / "twilio_auth_token").read_text().strip()
    [redis_pid] = _redis_servers_under(service.data_dir)
    [persister_pid] = _children_running(service.process.pid, "ivr persister")

    os.kill(redis_pid, signal.SIGKILL)
    os.kill(persister_pid, signal.SIGKILL)
    assert _eventually(lambda: _redis_servers_under(service.data_dir) not in ([], [redis_pid]))
    assert _eventually(
        lambda: _children_running(service.process.pid, "ivr persister") not in ([], [persister_pid])
    )
    service.wait_healthy()
    # A call is answered by the menu again (not the apology), and its events reach the
    # ticket store through the new persister.
    answer = _post_voice(service.base, token)
    assert answer.status_code == 200 and "<Gather" in answer.text, answer.text
    sid = answer.request.content.decode().split("CallSid=")[1].split("&")[0]
    env = _clean_env(service.data_dir)

    def ticket_saved() -> bool:
        shown = subprocess.run(
            [str(IVR), "tickets", "list", "--json"], env=env, capture_output=True, text=True
        )
        return sid in shown.stdout

    assert _eventually(ticket_saved), service.output()
    printed = service.output()
    assert "redis-server exited; starting it again" in printed
    assert "persister exited" in printed
    assert service.terminate() == 0, printed
    assert _redis_servers_under(service.data_dir) == []


def test_no_persister_leaves_storage_to_the_persister_services() -> None:
    from ivr.cli.serve import Watchdog

    watchdog = Watchdog(None, persisters=0, every=0.05)
    watchdog.start()
    time.sleep(0.2)  # a few rounds: nothing to restart, nothing started
    assert watchdog.persisters == []
    watchdog.stop()
    assert not watchdog.is_alive()
