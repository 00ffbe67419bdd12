"""A real `ivr serve` process on a free loopback port, for tests that need the whole stack."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ivr.connections import free_port
from tests.conftest import REDIS_URL

IVR = Path(sys.executable).with_name("ivr")


@dataclass
class RunningService:
    """One `ivr serve` and what a test needs to talk to it."""

    process: subprocess.Popen[bytes]
    url: str
    log: Path
    env: dict[str, str] = field(repr=False)

    @property
    def redis_prefix(self) -> str:
        """The service's own Redis key prefix."""
        return self.env["IVR_REDIS_PREFIX"]

    def output(self) -> str:
        """Everything the service printed so far."""
        return self.log.read_text(errors="replace")

    def processes(self) -> dict[int, str]:
        """`ivr serve` and every process under it, by pid, with their command lines.

        Its persisters run in sessions of their own, out of its process group.
        """
        return descendants(self.process.pid)

    def stop(self) -> None:
        """SIGTERM the whole process group, then SIGKILL what will not go."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def start_service(
    workdir: Path, *, workers: int = 1, within: float = 120.0, **settings: str
) -> RunningService:
    """`ivr serve` with its own data dir and Redis prefix; `settings` are IVR_* variables.

    Waits until /healthz answers 200; raises AssertionError with the log otherwise.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(
        IVR_REDIS_URL=REDIS_URL,
        IVR_REDIS_PREFIX=f"ivr-test:{uuid.uuid4().hex[:12]}:",
        IVR_DATABASE_URL=f"sqlite:///{workdir / 'tickets.db'}",
        IVR_DATA_DIR=str(workdir / "var"),
        IVR_LOG_LEVEL="WARNING",
    )
    env.update({f"IVR_{name.upper()}": value for name, value in settings.items()})
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(IVR), "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = RunningService(process=process, url=f"http://127.0.0.1:{port}", log=log, env=env)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"ivr serve exited: {service.output()[-3000:]}")
        try:
            if httpx.get(f"{service.url}/healthz", timeout=1).status_code == 200:
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    service.stop()
    raise AssertionError(f"ivr serve did not answer: {service.output()[-3000:]}")


def _process(proc: Path) -> tuple[str, int, str]:
    """State, parent pid and command line of the process at /proc/PID (OSError once gone)."""
    state, ppid = (proc / "stat").read_text().rsplit(")", 1)[1].split()[:2]
    return state, int(ppid), (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()


def descendants(pid: int) -> dict[int, str]:
    """`pid` and every live process under it, by pid, with their command lines (Linux /proc)."""
    parents: dict[int, int] = {}
    argv: dict[int, str] = {}
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(ValueError, OSError):  # not a process, or gone meanwhile
            state, ppid, command = _process(proc)
            if state != "Z":
                parents[int(proc.name)], argv[int(proc.name)] = ppid, command
    found = {pid} if pid in argv else set()
    while more := {child for child, parent in parents.items() if parent in found} - found:
        found |= more
    return {p: argv[p] for p in sorted(found)}


def still_running(pids: dict[int, str]) -> list[int]:
    """Those of `pids` still running their recorded command line (never a reused pid)."""
    alive = []
    for pid, argv in pids.items():
        with contextlib.suppress(OSError):
            state, _, command = _process(Path(f"/proc/{pid}"))
            if state != "Z" and command == argv:
                alive.append(pid)
    return alive
