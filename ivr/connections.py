"""Connections to Redis: the shared client, a readiness wait, and the private redis-server.

With `IVR_REDIS_URL` empty, `ivr serve` runs a real redis-server of its own
(the Debian binary) with its data in the data dir, so a first run needs
nothing configured and agents and pending call events survive a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import redis as syncredis
import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ivr.errors import ConfigError, UnavailableError

# Where Debian puts the binary when PATH (e.g. under a service manager) lacks /usr/bin.
_FALLBACK_BINARIES = (Path("/usr/bin/redis-server"), Path("/usr/sbin/redis-server"))
_URL_SCHEMES = ("redis://", "rediss://", "unix://")
_NOT_READY = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, OSError)
_PR_SET_PDEATHSIG = 1
_MAX_UNIX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux


def redis_client(url: str) -> aioredis.Redis:
    """An asyncio Redis client for `url` (bytes in, bytes out, as the tests' clients)."""
    if not url:
        raise ConfigError("IVR_REDIS_URL is empty: give a redis:// URL (ivr serve starts its own)")
    if not url.startswith(_URL_SCHEMES):
        raise ConfigError(f"IVR_REDIS_URL must start with redis://, rediss:// or unix://: {url!r}")
    # A server that went away is noticed within this, not at the next call's timeout.
    client: aioredis.Redis
    if url.startswith("unix://"):  # same machine: no TCP keep-alive to ask for
        client = aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)
    else:
        client = aioredis.Redis.from_url(
            url, decode_responses=False, health_check_interval=30, socket_keepalive=True
        )
    return client


async def wait_until_ready(client: aioredis.Redis, *, timeout: float = 10.0) -> None:
    """Return once Redis answers PING; UnavailableError naming the server after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if await client.ping():
                return
        except _NOT_READY as exc:
            last = exc
        await asyncio.sleep(0.05)
    raise UnavailableError(f"Redis ({_describe(client)}) did not answer within {timeout}s: {last}")


def check_reachable(url: str, *, timeout: float = 5.0) -> None:
    """Wait up to `timeout` for the Redis at IVR_REDIS_URL; errors name the setting."""
    if not url.startswith(_URL_SCHEMES):
        raise ConfigError(f"IVR_REDIS_URL must start with redis://, rediss:// or unix://: {url!r}")
    client = syncredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    try:
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except _NOT_READY as exc:
                last = exc
            except RedisError as exc:  # e.g. a password is wanted: waiting will not help
                raise UnavailableError(f"IVR_REDIS_URL: {redact_url(url)}: {exc}") from exc
            time.sleep(0.1)
    finally:
        client.close()
    raise UnavailableError(f"IVR_REDIS_URL: {redact_url(url)} does not answer: {last}")


def redact_url(url: str) -> str:
    """`url` with any password replaced by ***, fit to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _describe(client: aioredis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def find_redis_server(
    *, search_path: str | None = None, fallbacks: tuple[Path, ...] = _FALLBACK_BINARIES
) -> Path:
    """The redis-server binary on PATH (or `search_path`) or in /usr/bin; ConfigError if absent."""
    found = shutil.which("redis-server", path=search_path)
    if found:
        return Path(found)
    for candidate in fallbacks:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ConfigError(
        "IVR_REDIS_URL is empty and redis-server is not installed (not on PATH, not in "
        "/usr/bin): install it (apt-get install redis-server, or scripts/install.sh) "
        "or set IVR_REDIS_URL to a running Redis"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In the child before exec: get SIGTERM if `ivr serve` dies without cleaning up (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class PrivateRedis:
    """A redis-server of our own on 127.0.0.1, keeping its data under `data_dir/redis`.

    Use as a context manager, or `start()` then `stop()`. The server runs in its
    own session so a Ctrl-C in the terminal reaches `ivr serve` first, which then
    stops Redis after the web workers have finished with it.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        binary: Path | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        start_timeout: float = 15.0,
    ) -> None:
        self.dir = Path(data_dir).resolve() / "redis"
        self.binary = binary
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    @property
    def url(self) -> str:
        """The redis:// URL of the running server."""
        if self.port is None:
            raise UnavailableError("the private redis-server has not been started")
        return f"redis://{self.host}:{self.port}/0"

    @property
    def socket_path(self) -> Path | None:
        """Its Unix socket (owner only), when the data dir's path is short enough for one."""
        path = self.dir / "redis.sock"
        return path if len(str(path)) <= _MAX_UNIX_SOCKET_PATH else None

    @property
    def local_url(self) -> str:
        """The fastest way in from this machine: the Unix socket, else TCP on 127.0.0.1."""
        tcp = self.url  # raises when not started
        path = self.socket_path
        return f"unix://{path}?db=0" if path is not None else tcp

    @property
    def pid(self) -> int | None:
        """Process id of the running redis-server, None when stopped."""
        return self._process.pid if self._process is not None else None

    @property
    def log_path(self) -> Path:
        """Where redis-server writes its log."""
        return self.dir / "redis.log"

    def start(self) -> str:
        """Start redis-server, wait until it answers PING, and return its URL."""
        if self._process is not None:
            return self.url
        binary = self.binary or find_redis_server()
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"IVR_DATA_DIR: cannot create {self.dir}: {exc}") from exc
        self._take_lock()
        try:
            self._launch(binary)
        except BaseException:
            self.stop()
            raise
        return self.url

    def exited(self) -> bool:
        """True when the server was started and has since died (not stopped by us)."""
        return self._process is not None and self._process.poll() is not None

    def revive(self) -> None:
        """Start the server again on the same port, from its append-only data."""
        if self._process is None or self._process.poll() is None:
            return
        self._process.wait()
        self._launch(self.binary or find_redis_server())

    def _take_lock(self) -> None:
        # Two servers writing one append-only file would corrupt it.
        lock = (self.dir / "lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise ConfigError(
                f"IVR_DATA_DIR: {self.dir} is in use by another ivr serve; stop it, "
                "or give this one its own IVR_DATA_DIR or an IVR_REDIS_URL"
            ) from None
        self._lock = lock

    def _launch(self, binary: Path) -> None:
        chosen = self.port is not None
        for _attempt in range(1 if chosen else 5):
            port = self.port if chosen and self.port is not None else free_port(self.host)
            process = subprocess.Popen(
                self._command(binary, port),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
            self._process, self.port = process, port
            if self._wait_ready(process, port):
                return
            self._process = None
            if not chosen:
                self.port = None
        raise UnavailableError(
            f"the private redis-server did not start; see {self.log_path}: {self._log_tail()}"
        )

    def _command(self, binary: Path, port: int) -> list[str]:
        return [
            str(binary),
            "--bind",
            self.host,
            "--port",
            str(port),
            "--dir",
            str(self.dir),
            "--logfile",
            str(self.log_path),
            "--daemonize",
            "no",
            # Every write reaches disk within a second: agents, queues and pending
            # call events survive a restart of the service.
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--protected-mode",
            "yes",
        ] + (
            ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
            if self.socket_path is not None
            else []
        )

    def _wait_ready(self, process: subprocess.Popen[bytes], port: int) -> bool:
        """True once the server answers; False if it exited (e.g. the port was taken)."""
        client = syncredis.Redis(host=self.host, port=port, socket_timeout=1.0)
        deadline = time.monotonic() + self.start_timeout
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return False
                try:
                    # The pid check: a port taken by another server must not pass for ours.
                    info: dict[str, object] = client.info("server")  # type: ignore[assignment]
                    if info.get("process_id") == process.pid:
                        return True
                except _NOT_READY:
                    pass
                time.sleep(0.05)
        finally:
            client.close()
        process.kill()
        process.wait()
        return False

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log written)"
        return " | ".join(lines[-3:]) or "(empty log)"

    def stop(self, timeout: float = 10.0) -> None:
        """Shut redis-server down (it finishes writing its data first) and release the dir."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> PrivateRedis:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
