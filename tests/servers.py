"""A real `ivr serve` process on a free loopback port, for tests that need the whole stack."""

from __future__ import annotations

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
