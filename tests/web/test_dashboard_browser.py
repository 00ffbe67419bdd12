"""A supervisor watches /dashboard in Chromium while simulated calls queue and are answered.

The service runs for real (uvicorn on a free port, its persister and routing
clock, real Redis and SQLite); the simulated carrier calls it over HTTP. The
page must follow without a reload, and its figures must equal
`GET /api/reports/summary` for today.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, async_playwright, expect

from ivr.api.auth import Role
from ivr.app import create_app
from ivr.config import PROJECT_DIR, Settings
from ivr.telephony.simulator import twiml as sim
from ivr.telephony.simulator.call_setup import Limits
from ivr.telephony.simulator.callers import ScriptedCaller
from ivr.telephony.simulator.carrier import Carrier
from ivr.telephony.simulator.record import CallRecord
from ivr.telephony.simulator.steps import Press, Step
from ivr.tickets.store import TicketStore
from tests.telephony.conftest import set_hours

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Screenshots go to the test's own folder; IVR_SCREENSHOTS_DIR=docs/screenshots refreshes the
# README's (a normal run leaves the checkout as it was).
SCREENSHOTS_DIR = "IVR_SCREENSHOTS_DIR"
ADMIN = {"Authorization": "Bearer test-admin-token"}
WAIT_MS = 15_000  # how long the page may take to follow (a bound, not an assertion on time)


class Server:
    """The whole service on 127.0.0.1, in a thread of its own."""

    def __init__(self, settings: Settings, sock: socket.socket) -> None:
        self.settings = settings
        self.url = settings.public_url
        self._sock = sock
        self._server = uvicorn.Server(
            uvicorn.Config(create_app(settings), log_level="warning", lifespan="on")
        )
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )

    def __enter__(self) -> Server:
        self._thread.start()
        # Start-up trains the topic model unless the session's cache has it (tens of seconds
        # on a busy machine); a bound, so a service that never starts fails the test.
        for _ in range(2400):
            if self._server.started:
                return self
            if not self._thread.is_alive():
                break
            time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("the service did not start")

    def __exit__(self, *_: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()


@pytest.fixture
def server(settings: Settings, tmp_path: Path, model_cache: Path) -> Iterator[Server]:
    """The shipped configuration with an empty roster, open around the clock."""
    config = tmp_path / "config"
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(PROJECT_DIR / part, config / part)
    (config / "routing" / "agents.yaml").write_text("agents: []\n")
    set_hours(config, open_=True)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    settings.public_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings.config_dir = config
    settings.cache_dir = model_cache
    with Server(settings, sock) as running:
        yield running


class WaitingCaller(ScriptedCaller):
    """Picks English and account questions, holds on in the queue until served, rates 5."""

    async def at_gather(self, gather: sim.Gather) -> Step | None:
        if gather.action and "/twilio/queue/" in gather.action:
            return None  # keeps waiting rather than asking for a callback
        return await super().at_gather(gather)

    async def after_wait_round(self, round_number: int) -> bool:
        await asyncio.sleep(0.25)  # routing's clock is real: let the agents come back
        return False


async def _call(server: Server) -> CallRecord:
    carrier = Carrier(
        base_url=server.url,
        auth_token=server.settings.twilio_auth_token,
        limits=Limits(max_requests=1000, max_wait_rounds=400),
    )
    return await carrier.place_call(
        caller_input=WaitingCaller([Press("1"), Press("3"), Press("5")])
    )


async def _figures(page: Page) -> dict[str, str]:
    found: dict[str, str] = await page.eval_on_selector_all(
        "#wall .tile[data-figure]",
        "tiles => Object.fromEntries(tiles.map(t => [t.dataset.figure, t.dataset.value]))",
    )
    return found


def _matches(shown: dict[str, str], summary: dict[str, Any]) -> bool:
    keys = ("calls", "answered", "abandoned", "service_level", "abandonment_rate")
    keys += ("queue_seconds_avg", "queue_seconds_p90", "handle_seconds_avg", "csat_avg")
    for key in keys:
        value = summary[key]
        if shown.get(key) != (
            "" if value is None else repr(value) if isinstance(value, float) else str(value)
        ):
            return False
    return True


@pytest.fixture
async def browser_page() -> AsyncIterator[Page]:
    """A headless Chromium page at 1280x800."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        yield page
        await browser.close()


async def test_a_supervisor_watches_calls_queue_and_be_answered(
    server: Server, browser_page: Page, tmp_path: Path
) -> None:
    page = browser_page
    shots = Path(os.environ.get(SCREENSHOTS_DIR) or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    async with httpx.AsyncClient(base_url=server.url, headers=ADMIN) as api:
        for agent_id in ("ana", "bo"):
            body = {
                "id": agent_id,
                "name": agent_id.title(),
                "endpoint": "client",
                "languages": ["en-US"],
                "skills": {"account_inquiry": 4},
                "status": "away",
            }
            assert (await api.post("/api/agents", json=body)).status_code == 201
        store = await TicketStore.open(server.settings.database_url)
        supervisor, _ = await store.create_token(Role.SUPERVISOR)
        await store.close()

        # Sign in as a supervisor, with the keyboard alone.
        await page.goto(server.url + "/dashboard")
        await page.locator("#token").focus()
        await page.keyboard.type(supervisor)
        await page.keyboard.press("Enter")
        await page.wait_for_url("**/dashboard")
        await expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
        await page.evaluate("window.stillTheSamePage = true")
        waiting = page.locator('#wall .tile[data-figure="waiting"]')
        await expect(waiting).to_have_attribute("data-value", "0")

        # Two callers ring while both agents are away: the wall shows them waiting.
        calls = [asyncio.create_task(_call(server)) for _ in range(2)]
        await expect(waiting).to_have_attribute("data-value", "2", timeout=WAIT_MS)
        row = page.locator('#queues tr[data-queue="account_inquiry.en-US"]')
        await expect(row.locator('[data-figure="waiting"]')).to_have_text("2")
        await expect(page.locator('#wall .states [data-state="away"]')).to_have_attribute(
            "data-count", "2"
        )
        await page.screenshot(path=str(shots / "dashboard-live.png"), full_page=True)

        # The agents come back; both callers are answered, rate the call and hang up.
        for agent_id in ("ana", "bo"):
            back = await api.put(f"/api/agents/{agent_id}/status", json={"status": "available"})
            assert back.status_code == 200
        records = await asyncio.wait_for(asyncio.gather(*calls), timeout=60)
        for record in records:
            assert record.errors == [], record.transcript
            assert "Thank you for your feedback" in record.transcript

        today = datetime.now(UTC).date().isoformat()
        summary: dict[str, Any] = {}
        for _ in range(150):  # the persister stores each call a moment after it ends
            summary = (await api.get(f"/api/reports/summary?from={today}")).json()
            if summary["answered"] == 2 and summary["csat_responses"] == 2:
                break
            await asyncio.sleep(0.1)
        assert summary["answered"] == 2, summary
        await expect(waiting).to_have_attribute("data-value", "0", timeout=WAIT_MS)
        await expect(page.locator('#wall .tile[data-figure="answered"]')).to_have_attribute(
            "data-value", "2", timeout=WAIT_MS
        )
        for _ in range(150):
            if _matches(await _figures(page), summary):
                break
            await asyncio.sleep(0.1)
        shown = await _figures(page)
        assert _matches(shown, summary), (shown, summary)
        assert summary["by_topic"] == {"account_inquiry": 2}
        bars = page.locator('#chart-topic .bar[data-key="account_inquiry"]')
        await expect(bars).to_have_attribute("data-count", "2")
        assert await page.evaluate("window.stillTheSamePage") is True  # never reloaded
        await page.screenshot(path=str(shots / "dashboard-answered.png"), full_page=True)

        # A tablet held upright reads the same page in one column.
        await page.set_viewport_size({"width": 768, "height": 1024})
        await page.screenshot(path=str(shots / "dashboard-tablet.png"))

        # Past days: yesterday and today, the same figures from the reports, a trend drawn.
        await page.set_viewport_size({"width": 1280, "height": 800})
        now = datetime.now(UTC)
        await page.locator("#from").fill((now - timedelta(days=1)).date().isoformat())
        await page.locator("#to").fill((now + timedelta(days=1)).date().isoformat())
        await page.locator("#to").press("Enter")
        await page.wait_for_url("**/dashboard?from=*")
        period = await page.eval_on_selector_all(
            ".tiles.period .tile",
            "tiles => Object.fromEntries(tiles.map(t => [t.dataset.figure, t.dataset.value]))",
        )
        assert period["calls"] == "2" and period["service_level"] == repr(summary["service_level"])
        await expect(page.locator("#days tbody tr")).to_have_count(2)
        await expect(page.locator("#trend .uplot canvas")).to_have_count(1)
        await page.screenshot(path=str(shots / "dashboard-days.png"), full_page=True)
    assert not [m for m in console if "Content Security Policy" in m], console
