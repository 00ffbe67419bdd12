"""The private redis-server `ivr serve` starts, the shared client and the readiness wait."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis as syncredis
import redis.asyncio as aioredis

from ivr.connections import (
    PrivateRedis,
    check_reachable,
    find_redis_server,
    free_port,
    redact_url,
    redis_client,
    running_url,
    wait_until_ready,
)
from ivr.errors import ConfigError, UnavailableError
from ivr.keys import Keys


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting for its parent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


async def test_private_redis_answers_and_stops(tmp_path: Path, keys: Keys) -> None:
    with PrivateRedis(data_dir=tmp_path) as server:
        assert server.url.startswith("unix://")
        pid = server.pid
        assert pid is not None and _alive(pid)
        client = redis_client(server.url)
        try:
            await wait_until_ready(client)
            await client.set(keys.prefix + "probe", b"hello")
            assert await client.get(keys.prefix + "probe") == b"hello"
        finally:
            await client.aclose()
    assert server.pid is None
    assert _wait_gone(pid)
    assert (tmp_path / "redis" / "redis.log").exists()


async def _rewritten(client: aioredis.Redis) -> None:
    """Wait for the append-only file's rewrite: its temporary files come and go meanwhile."""
    for _ in range(200):
        info = await client.info("persistence")
        if not info["aof_rewrite_in_progress"] and not info["aof_rewrite_scheduled"]:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"the AOF rewrite did not end in 10 s: {info}")


def _open_to_others(root: Path) -> list[str]:
    return [
        f"{p}: {p.stat().st_mode & 0o777:o}"
        for p in [root, *root.rglob("*")]
        if p.stat().st_mode & 0o077
    ]


async def test_private_redis_listens_on_its_owner_only_socket_and_no_tcp_port(
    tmp_path: Path, keys: Keys
) -> None:
    with PrivateRedis(data_dir=tmp_path) as server:
        assert server.url == f"unix://{tmp_path.resolve()}/redis/redis.sock?db=0"
        assert (tmp_path / "redis" / "redis.sock").stat().st_mode & 0o777 == 0o700
        # The tools read where it is from the data dir.
        assert running_url(tmp_path) == server.url
        client = redis_client(server.url)
        try:
            await wait_until_ready(client)
            await client.set(keys.prefix + "probe", b"over the socket")
            await client.xadd(keys.events_stream(), {"event": "x"})
            assert (await client.config_get("port")) in ({"port": "0"}, {b"port": b"0"})
            await client.bgrewriteaof()
            await _rewritten(client)
        finally:
            await client.aclose()
        assert _open_to_others(tmp_path / "redis") == []
    assert running_url(tmp_path) == ""


async def test_a_data_dir_too_deep_for_a_socket_gets_tcp_with_a_password(
    tmp_path: Path, keys: Keys
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    with PrivateRedis(data_dir=deep) as server:
        assert server.socket_path is None
        assert server.url.startswith("redis://:") and f"@127.0.0.1:{server.port}/0" in server.url
        assert running_url(deep) == server.url
        anyone = syncredis.Redis(host="127.0.0.1", port=server.port or 0)
        with pytest.raises(syncredis.AuthenticationError):
            anyone.ping()
        anyone.close()
        client = redis_client(server.url)
        try:
            assert await client.ping()
        finally:
            await client.aclose()
        assert _open_to_others(deep / "redis") == []


async def test_data_survives_a_restart(tmp_path: Path, keys: Keys) -> None:
    """Agents and pending events are written to the append-only file in the data dir."""
    with PrivateRedis(data_dir=tmp_path) as first:
        client = redis_client(first.url)
        await client.hset(keys.prefix + "agent:a1", mapping={"status": "available"})
        await client.xadd(keys.events_stream(), {"type": "call_started"})
        await client.aclose()
    assert (tmp_path / "redis" / "appendonlydir").is_dir()

    with PrivateRedis(data_dir=tmp_path) as second:
        client = redis_client(second.url)
        try:
            assert await client.hget(keys.prefix + "agent:a1", "status") == b"available"
            assert await client.xlen(keys.events_stream()) == 1
        finally:
            await client.aclose()


def test_one_data_dir_serves_one_redis(tmp_path: Path) -> None:
    with PrivateRedis(data_dir=tmp_path):
        second = PrivateRedis(data_dir=tmp_path)
        with pytest.raises(ConfigError, match="IVR_DATA_DIR"):
            second.start()
        assert second.pid is None
    # Once the first has stopped, the dir is free again.
    with PrivateRedis(data_dir=tmp_path) as again:
        assert again.pid is not None


def test_missing_binary_names_the_package_and_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        find_redis_server(search_path=str(tmp_path), fallbacks=())
    assert "redis-server" in str(caught.value)
    assert "IVR_REDIS_URL" in str(caught.value)


def test_binary_found_in_the_fallback_dir(tmp_path: Path) -> None:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_redis_server(search_path=str(tmp_path / "empty"), fallbacks=(fake,)) == fake


def test_a_server_that_will_not_start_is_reported_with_its_log(tmp_path: Path) -> None:
    broken = tmp_path / "bin" / "redis-server"
    broken.parent.mkdir()
    broken.write_text("#!/bin/sh\nexit 1\n")
    broken.chmod(0o755)
    server = PrivateRedis(data_dir=tmp_path, binary=broken)
    with pytest.raises(UnavailableError, match="did not start"):
        server.start()
    assert server.pid is None
    # The failed attempt released the data dir.
    with PrivateRedis(data_dir=tmp_path) as real:
        assert real.pid is not None


def test_a_taken_port_chosen_by_the_caller_is_an_error(tmp_path: Path) -> None:
    with PrivateRedis(data_dir=tmp_path / "a", use_socket=False) as first:
        assert first.port is not None
        clash = PrivateRedis(data_dir=tmp_path / "b", port=first.port, use_socket=False)
        with pytest.raises(UnavailableError):
            clash.start()


def test_redis_dies_with_a_killed_parent(tmp_path: Path) -> None:
    """Even a SIGKILLed `ivr serve` leaves no redis-server behind."""
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from ivr.connections import PrivateRedis\n"
        "server = PrivateRedis(data_dir=Path(sys.argv[1]))\n"
        "server.start()\n"
        "print(server.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        redis_pid = int(parent.stdout.readline())
        assert _alive(redis_pid)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        parent.stdout.close() if parent.stdout else None
    assert _wait_gone(redis_pid), f"redis-server {redis_pid} outlived its parent"


def test_redis_client_rejects_bad_urls() -> None:
    with pytest.raises(ConfigError, match="IVR_REDIS_URL"):
        redis_client("")
    with pytest.raises(ConfigError, match="IVR_REDIS_URL"):
        redis_client("http://127.0.0.1:6379")


async def test_wait_until_ready_names_the_server_that_does_not_answer() -> None:
    port = free_port()
    client = redis_client(f"redis://127.0.0.1:{port}/0")
    try:
        with pytest.raises(UnavailableError, match=f"127.0.0.1:{port}"):
            await wait_until_ready(client, timeout=0.3)
    finally:
        await client.aclose()


def test_stop_is_safe_twice_and_before_start(tmp_path: Path) -> None:
    server = PrivateRedis(data_dir=tmp_path)
    server.stop()
    server.start()
    pid = server.pid
    server.stop()
    server.stop()
    assert pid is not None and _wait_gone(pid)
    assert os.path.isdir(tmp_path / "redis")


def test_check_reachable_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(UnavailableError, match=re.escape("IVR_REDIS_URL: redis://:***@127.0.0.1")):
        check_reachable(f"redis://:secret@127.0.0.1:{free_port()}/0", timeout=0.3)
    with pytest.raises(ConfigError, match="IVR_REDIS_URL"):
        check_reachable("http://127.0.0.1:6379", timeout=0.3)
    with PrivateRedis(data_dir=tmp_path) as server:
        check_reachable(server.url, timeout=5)


def test_redact_url_hides_passwords_only() -> None:
    assert redact_url("postgresql://ivr:s3cret@db:5432/ivr") == "postgresql://ivr:***@db:5432/ivr"
    assert redact_url("redis://:s3cret@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redact_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
