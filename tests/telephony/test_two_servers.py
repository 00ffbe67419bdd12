"""Two real `ivr serve` processes behind one public URL, sharing Redis and the ticket store.

200 callers ring at once for 50 agents; every request of a call alternates
between the two processes, as behind a load balancer. No agent may be given
two callers, and every caller must end up connected or queued.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from ivr.connections import free_port
from tests.conftest import REDIS_URL

IVR = Path(sys.executable).with_name("ivr")
PUBLIC = "http://hotline.test"
TOKEN = "two-servers-token-0123456789abcd"
ADMIN = "two-servers-admin"
GATHER = re.compile(r'<Gather action="([^"]+)"')


def _start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(IVR), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ivr serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"ivr serve did not answer: {log.read_text()[-3000:]}")


@pytest.fixture
def servers(
    tmp_path: Path, config_dir: Path, model_cache: Path, redis_prefix: str
) -> Iterator[list[str]]:
    """Two service processes; yields their local base URLs."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    base_env.update(
        IVR_TWILIO_AUTH_TOKEN=TOKEN,
        IVR_PUBLIC_URL=PUBLIC,
        IVR_REDIS_URL=REDIS_URL,
        IVR_REDIS_PREFIX=redis_prefix,
        IVR_DATABASE_URL=f"sqlite:///{tmp_path / 'tickets.db'}",
        IVR_CONFIG_DIR=str(config_dir),
        IVR_CACHE_DIR=str(model_cache),
        IVR_ADMIN_TOKEN=ADMIN,
        IVR_LOG_LEVEL="WARNING",
    )
    procs, urls = [], []
    try:
        for n in range(2):
            port = free_port()
            env = {**base_env, "IVR_DATA_DIR": str(tmp_path / f"var{n}")}
            procs.append(_start(env, port, tmp_path / f"serve{n}.log"))
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


class Call:
    """One caller whose requests alternate between the two processes."""

    def __init__(self, client: httpx.AsyncClient, servers: list[str], first: int) -> None:
        self.client = client
        self.servers = servers
        self.turn = first
        self.sid = "CA" + uuid.uuid4().hex
        self.validator = RequestValidator(TOKEN)

    async def post(self, public_url: str, **extra: str) -> str:
        params = {
            "CallSid": self.sid,
            "From": f"+1415555{self.sid[-4:]}",
            "To": "+18005550100",
            "AccountSid": "AC" + "0" * 32,
            "CallStatus": "in-progress",
            **extra,
        }
        signature = self.validator.compute_signature(public_url, params)
        local = self.servers[self.turn % 2] + public_url.removeprefix(PUBLIC)
        self.turn += 1
        answer = await self.client.post(
            local, data=params, headers={"X-Twilio-Signature": signature}
        )
        assert answer.status_code == 200, answer.text
        return answer.text

    async def ring_for_accounts(self) -> str:
        """Call, choose English, press 3 (accounts): the answer that puts us through."""
        menu = await self.post(f"{PUBLIC}/twilio/voice")
        menu = await self.post(_next(menu), Digits="1")
        return await self.post(_next(menu), Digits="3")


def _next(twiml: str) -> str:
    found = GATHER.search(twiml)
    assert found, twiml
    return found.group(1).replace("&amp;", "&")


@pytest.mark.slow
async def test_200_callers_50_agents_two_processes_nobody_double_booked(
    servers: list[str],
) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        for n in range(50):
            agent = {
                "id": f"agent{n:02d}",
                "name": f"Agent {n}",
                "endpoint": "client",
                "languages": ["en-US"],
                "skills": {"account_inquiry": 3},
            }
            made = await client.post(f"{servers[n % 2]}/api/agents", json=agent, headers=headers)
            assert made.status_code == 201, made.text
        calls = [Call(client, servers, first=n) for n in range(200)]
        answers = await asyncio.gather(*(c.ring_for_accounts() for c in calls))

        dialled = [
            m.group(1) for a in answers if (m := re.search(r"<Identity>([^<]+)</Identity>", a))
        ]
        queued = [a for a in answers if "<Enqueue" in a]
        assert len(dialled) + len(queued) == 200, [a for a in answers if a not in queued][:3]
        assert len(dialled) == 50
        assert len(set(dialled)) == 50, "an agent was given two callers"
        listed = (await client.get(f"{servers[1]}/api/agents", headers=headers)).json()
        busy = {a["agent"]["id"] for a in listed if a["status"]["state"] == "busy"}
        assert busy == set(dialled)

        # Each `ivr serve` runs its own persister process; together they store every call once.
        sids = {c.sid for c in calls}
        stored: set[str] = set()
        for _ in range(150):
            page = await client.get(
                f"{servers[0]}/api/tickets", params={"limit": 500}, headers=headers
            )
            stored = {t["call_sid"] for t in page.json()} & sids
            if stored == sids:
                break
            await asyncio.sleep(0.2)
        assert len(stored) == 200
