"""`/metrics` for Prometheus and JSON log lines that name the call, on a real `ivr serve`."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.carrier import Carrier
from ivr.simulator.script import Press, ScriptStep
from tests.api.conftest import LIVE_ADMIN_TOKEN, LIVE_AUTH_TOKEN, LIVE_METRICS_TOKEN
from tests.servers import RunningService

QUEUE = "account_inquiry.en-US"


class HeldCaller(ScriptedCaller):
    """Follows its steps, then stays in the queue until `release` is set, then hangs up."""

    def __init__(self, steps: list[ScriptStep]) -> None:
        super().__init__(steps)
        self.queued = asyncio.Event()
        self.release = asyncio.Event()

    async def after_wait_round(self, round_number: int) -> bool:
        """Wait (without hammering the wait URL) until released."""
        self.queued.set()
        await self.release.wait()
        return True


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of an exposition: (name, labels) -> value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def scrape(service: RunningService, token: str = LIVE_METRICS_TOKEN) -> httpx.Response:
    header = f"Bearer {token}".encode()  # bytes: a token need not be ASCII
    return httpx.get(f"{service.url}/metrics", headers={"Authorization": header}, timeout=30)


@pytest.fixture
async def agent_away(live_service: RunningService) -> AsyncIterator[str]:
    """An agent for account inquiries who is away, so a caller for them waits."""
    headers = {"Authorization": f"Bearer {LIVE_ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=live_service.url, headers=headers) as api:
        body = {
            "id": "mia",
            "name": "Mia",
            "endpoint": "client",
            "languages": ["en-US"],
            "skills": {"account_inquiry": 4},
        }
        assert (await api.post("/api/agents", json=body)).status_code in (200, 201)
        away = await api.put("/api/agents/mia/status", json={"status": "away"})
        assert away.status_code == 200, away.text
        yield "mia"


def test_metrics_need_the_metrics_token_or_an_admin(live_service: RunningService) -> None:
    assert httpx.get(f"{live_service.url}/metrics").status_code == 401
    assert scrape(live_service, "wrong").status_code == 401
    assert scrape(live_service, "é-not-ascii").status_code == 401
    assert scrape(live_service, LIVE_ADMIN_TOKEN).status_code == 200
    supervisor = subprocess.run(
        [str(Path(sys.executable).with_name("ivr")), "token", "create", "--role", "supervisor"],
        env=live_service.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    token = next(w for w in supervisor.split() if w.startswith("ivr_"))
    assert scrape(live_service, token).status_code == 403


async def test_metrics_show_a_waiting_caller_agents_by_state_and_webhook_latency(
    live_service: RunningService, agent_away: str
) -> None:
    before = samples(scrape(live_service).text)
    carrier = Carrier(base_url=live_service.url, auth_token=LIVE_AUTH_TOKEN)
    caller = HeldCaller([Press("1"), Press("3")])
    call = asyncio.create_task(carrier.place_call(caller_input=caller))
    await asyncio.wait_for(caller.queued.wait(), 60)
    await asyncio.sleep(1.1)  # so the longest wait is over a second
    during = await asyncio.to_thread(scrape, live_service)
    caller.release.set()
    record = await call
    assert record.errors == []

    assert during.status_code == 200
    assert during.headers["content-type"].startswith("text/plain")
    now = samples(during.text)
    queue = frozenset({("queue", QUEUE)})
    assert now[("ivr_queue_callers", queue)] == 1
    assert now[("ivr_queue_longest_wait_seconds", queue)] >= 1
    assert now[("ivr_agents", frozenset({("state", "away")}))] >= 1
    for state in ("available", "busy", "wrap_up", "away", "offline"):
        assert ("ivr_agents", frozenset({("state", state)})) in now
    voice = frozenset({("route", "voice")})
    count = ("ivr_webhook_seconds_count", voice)
    assert now[count] == before.get(count, 0) + 1
    gathers = now[("ivr_webhook_seconds_count", frozenset({("route", "gather")}))]
    assert gathers >= 2
    for name in (
        "ivr_events_unpersisted",
        "ivr_events_unpersisted_oldest_seconds",
        "ivr_events_dead",
        "ivr_transcriptions_waiting",
    ):
        assert (name, frozenset()) in now, name


def test_json_log_lines_carry_the_call_sid(live_service: RunningService) -> None:
    carrier = Carrier(base_url=live_service.url, auth_token=LIVE_AUTH_TOKEN)
    record = asyncio.run(carrier.place_call([Press("1"), Press("9"), Press("9"), Press("9")]))
    deadline = time.monotonic() + 30
    mine: list[dict[str, object]] = []
    while time.monotonic() < deadline and not mine:
        lines = [json.loads(x) for x in live_service.output().splitlines() if x.startswith("{")]
        mine = [x for x in lines if x.get("call_sid") == record.call_sid]
        time.sleep(0.1)
    # Every access line of the call's webhooks names it.
    access = [x for x in mine if x["logger"] == "uvicorn.access"]
    assert len(access) == len(record.requests), [x["message"] for x in mine]
    assert all("/twilio/" in str(x["message"]) for x in access)
    assert {"at", "level", "logger", "message"} <= set(mine[0])
    assert os.linesep not in str(mine[0]["message"])
