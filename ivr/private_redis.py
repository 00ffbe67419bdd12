"""The private redis-server `ivr serve` starts when no IVR_REDIS_URL is given.

It never listens on an open TCP port: any local user could read call state
there. It listens on an owner-only Unix socket in the data dir; when the data
dir's path is too long for a socket, on 127.0.0.1 with a password generated
for this start. Either way the URL (password included) is written to
`redis/url` (mode 0600), where `ivr callbacks done`, `ivr tickets
replay-dead`, `ivr persister` and `ivr worker` find it. Its files (the
append-only data, the log) are created owner-only too.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import redis as syncredis
from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ivr.errors import ConfigError, UnavailableError

# Where Debian puts the binary when PATH (e.g. under a service manager) lacks /usr/bin.
_FALLBACK_BINARIES = (Path("/usr/bin/redis-server"), Path("/usr/sbin/redis-server"))
_NOT_READY = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, OSError)
_PR_SET_PDEATHSIG = 1
_MAX_UNIX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux
PRIVATE = 0o077  # the umask of every file the service keeps: owner only


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


def _private_child() -> None:
    die_with_parent()
    os.umask(PRIVATE)  # the append-only file and the log: owner only


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) and make it owner-only (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def running_url(data_dir: Path) -> str:
    """The URL of the private Redis that an `ivr serve` with this data dir runs, else ""."""
    try:
        return (Path(data_dir).resolve() / "redis" / "url").read_text().strip()
    except OSError:
        return ""


class PrivateRedis:
    """A redis-server of our own, keeping its data under `data_dir/redis`, reachable only by us.

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
        use_socket: bool = True,
    ) -> None:
        self.dir = Path(data_dir).resolve() / "redis"
        self.binary = binary
        self.host = host
        self.port = port
        self.start_timeout = start_timeout
        self.use_socket = use_socket
        self.password = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: IO[str] | None = None

    @property
    def socket_path(self) -> Path | None:
        """Its Unix socket (owner only), when the data dir's path is short enough for one."""
        path = self.dir / "redis.sock"
        return path if self.use_socket and len(str(path)) <= _MAX_UNIX_SOCKET_PATH else None

    @property
    def url(self) -> str:
        """How to reach the running server: its socket, else TCP with the password."""
        if self._process is None:
            raise UnavailableError("the private redis-server has not been started")
        path = self.socket_path
        if path is not None:
            return f"unix://{path}?db=0"
        return f"redis://:{self.password}@{self.host}:{self.port}/0"

    @property
    def local_url(self) -> str:
        """The same as `url` (kept for callers of the earlier name)."""
        return self.url

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
            private_dir(self.dir)
        except OSError as exc:
            raise ConfigError(f"IVR_DATA_DIR: cannot create {self.dir}: {exc}") from exc
        self._take_lock()
        try:
            self._launch(binary)
        except BaseException:
            self.stop()
            raise
        self._publish()
        return self.url

    def _publish(self) -> None:
        """Write the URL where the command-line tools look for it (owner only)."""
        target = self.dir / "url"
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(self.url + "\n")
        target.chmod(0o600)

    def exited(self) -> bool:
        """True when the server was started and has since died (not stopped by us)."""
        return self._process is not None and self._process.poll() is not None

    def revive(self) -> None:
        """Start the server again at the same address, from its append-only data."""
        if self._process is None or self._process.poll() is None:
            return
        self._process.wait()
        self._launch(self.binary or find_redis_server())

    def _take_lock(self) -> None:
        # Two servers writing one append-only file would corrupt it.
        lock = os.fdopen(os.open(self.dir / "lock", os.O_RDWR | os.O_CREAT, 0o600), "a+")
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
        tcp = self.socket_path is None
        if tcp and not self.password:
            self.password = secrets.token_urlsafe(24)
        chosen = self.port is not None or not tcp
        for _attempt in range(1 if chosen else 5):
            port = self.port if self.port is not None or not tcp else free_port(self.host)
            process = subprocess.Popen(
                self._command(binary, port or 0),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_private_child,
            )
            self._process, self.port = process, port
            if self._wait_ready(process):
                return
            self._process = None
            if not chosen:
                self.port = None
        raise UnavailableError(
            f"the private redis-server did not start; see {self.log_path}: {self._log_tail()}"
        )

    def _command(self, binary: Path, port: int) -> list[str]:
        path = self.socket_path
        command = [
            str(binary),
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
        ]
        if path is not None:  # no TCP port at all: only this user can open the socket
            return [*command, "--port", "0", "--unixsocket", str(path), "--unixsocketperm", "700"]
        # The password travels in an owner-only file, never on the command line (`ps`).
        secret = self.dir / "password.conf"
        fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(f"requirepass {self.password}\n")
        return [str(binary), str(secret), *command[1:], "--bind", self.host, "--port", str(port)]

    def _client(self) -> syncredis.Redis:
        path = self.socket_path
        if path is not None:
            return syncredis.Redis(unix_socket_path=str(path), socket_timeout=1.0)
        return syncredis.Redis(
            host=self.host, port=self.port or 0, password=self.password, socket_timeout=1.0
        )

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> bool:
        """True once the server answers; False if it exited (e.g. the port was taken)."""
        client = self._client()
        deadline = time.monotonic() + self.start_timeout
        try:
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    return False
                try:
                    # The pid check: a server of someone else's must not pass for ours.
                    info: dict[str, object] = client.info("server")  # type: ignore[assignment]
                    if info.get("process_id") == process.pid:
                        return True
                except _NOT_READY:
                    pass
                except syncredis.RedisError:  # e.g. another server's password
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
            with contextlib.suppress(OSError):
                (self.dir / "url").unlink()
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
