"""A supervisor watches /dashboard in Chromium while simulated calls queue and are answered.

One service (uvicorn, its persister and routing clock, real Redis and SQLite)
and one headless Chromium (tests/web/live_server.py); the simulated carrier
calls over HTTP. The page must follow without a reload, and its figures must
equal `GET /api/reports/summary` for today.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ivr.config import PROJECT_DIR
from ivr.security import Role
from ivr.simulator import verbs
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.script import Press, ScriptStep
from ivr.tickets.store import TicketStore
from tests.web.live_server import LiveService, chromium, in_a_thread, live_service

pytestmark = pytest.mark.browser

# The README's screenshots are refreshed with IVR_SCREENSHOTS=1; otherwise they go to a
# temporary folder, so a test run leaves the checkout clean.
SHOTS = PROJECT_DIR / "docs" / "screenshots"
if not os.environ.get("IVR_SCREENSHOTS"):
    SHOTS = Path(tempfile.mkdtemp(prefix="dashboard-shots-"))
FOLLOW_MS = 15_000  # how long the page may take to follow (a bound, not a timing assertion)
FIGURES = (
    "calls",
    "answered",
    "abandoned",
    "service_level",
    "abandonment_rate",
    "queue_seconds_avg",
    "queue_seconds_p90",
    "handle_seconds_avg",
    "csat_avg",
)
TILES = "tiles => Object.fromEntries(tiles.map(t => [t.dataset.figure, t.dataset.value]))"


class WaitingCaller(ScriptedCaller):
    """Picks English and account questions, holds on in the queue until served, rates 5."""

    def __init__(self) -> None:
        super().__init__([Press("1"), Press("3"), Press("5")])

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        if gather.action and "/twilio/queue/" in gather.action:
            return None  # keeps waiting rather than asking for a callback
        return await super().at_gather(gather)

    async def after_wait_round(self, round_number: int) -> bool:
        await asyncio.sleep(0.2)  # routing's clock is real: let the agents come back
        return False


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveService]:
    yield from live_service(tmp_path_factory.mktemp("wall"), model_cache)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


def _supervisor_token(service: LiveService) -> str:
    async def create() -> str:
        store = await TicketStore.open(service.settings.database_url_async())
        try:
            return (await store.create_token(Role.SUPERVISOR))[0]
        finally:
            await store.close()

    return in_a_thread(create)


def _as_api_writes(value: Any) -> str:
    """A figure as the page's `data-value` carries it (JSON's number, empty for none)."""
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _page_matches(page: Page, summary: dict[str, Any]) -> bool:
    shown = page.eval_on_selector_all("#wall .tiles.today .tile", TILES)
    return all(shown.get(key) == _as_api_writes(summary[key]) for key in FIGURES)


def test_a_supervisor_watches_calls_queue_and_be_answered(
    service: LiveService, browser: Browser
) -> None:
    for agent_id in ("ana", "bo"):
        service.add_agent(agent_id, status="away")
    # The supervisor's browser is set to Los Angeles: the page keeps to the bank's days.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        base_url=service.url,
        timezone_id="America/Los_Angeles",
    )
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))

    # Sign in as a supervisor with the keyboard alone, and land on the dashboard.
    page.goto("/dashboard")
    expect(page).to_have_url(re.compile(r"/signin\?next=/dashboard$"))
    page.locator("#token").focus()
    page.keyboard.type(_supervisor_token(service))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "open")
    page.evaluate("window.stillTheSamePage = true")
    waiting = page.locator('#wall .tile[data-figure="waiting"]')
    expect(waiting).to_have_attribute("data-value", "0")
    expect(page.locator("#today-h")).to_have_text("Today (Asia/Shanghai)")

    # Two callers ring while both agents are away: the wall shows them waiting.
    calls = [service.call_in_background([], caller_input=WaitingCaller()) for _ in range(2)]
    expect(waiting).to_have_attribute("data-value", "2", timeout=FOLLOW_MS)
    row = page.locator('#queues tr[data-queue="account_inquiry.en-US"]')
    expect(row.locator('[data-figure="waiting"]')).to_have_text("2")
    expect(page.locator('#wall .states [data-state="away"]')).to_have_attribute("data-count", "2")
    page.screenshot(path=SHOTS / "dashboard-live.png", full_page=True)

    # The agents come back; both callers are answered, rate the call and hang up.
    for agent_id in ("ana", "bo"):
        service.set_status(agent_id, "available")
    for call in calls:
        record = call.result()
        assert record.errors == [], record.transcript
        assert "Thank you for your feedback" in record.transcript

    bank = service.settings.zone
    today = datetime.now(bank).date().isoformat()

    def stored(api: Any) -> dict[str, Any] | None:
        # The persister stores each call a moment after it ends.
        summary: dict[str, Any] = api.get(f"/api/reports/summary?from={today}").json()
        return summary if summary["answered"] == 2 and summary["csat_responses"] == 2 else None

    summary = service.wait_for("both calls in the reports", stored)
    expect(waiting).to_have_attribute("data-value", "0", timeout=FOLLOW_MS)
    answered = page.locator('#wall .tile[data-figure="answered"]')
    expect(answered).to_have_attribute("data-value", "2", timeout=FOLLOW_MS)
    deadline = time.monotonic() + FOLLOW_MS / 1000
    while not _page_matches(page, summary) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    shown = page.eval_on_selector_all("#wall .tiles.today .tile", TILES)
    assert _page_matches(page, summary), (shown, summary)
    assert summary["by_topic"] == {"account_inquiry": 2}
    bar = page.locator('#chart-topic .bar[data-key="account_inquiry"]')
    expect(bar).to_have_attribute("data-count", "2")
    assert page.evaluate("window.stillTheSamePage") is True  # followed live, never reloaded
    page.screenshot(path=SHOTS / "dashboard-answered.png", full_page=True)

    # A tablet held upright reads the same page in one column.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.screenshot(path=SHOTS / "dashboard-tablet.png")

    # Past days: yesterday and today, the same figures from the reports, a trend drawn.
    page.set_viewport_size({"width": 1280, "height": 800})
    now = datetime.now(bank)
    yesterday = (now - timedelta(days=1)).date().isoformat()
    page.locator("#from").fill(yesterday)
    page.locator("#to").fill((now + timedelta(days=1)).date().isoformat())
    page.locator("#to").press("Enter")
    expect(page).to_have_url(re.compile(r"/dashboard\?from="))
    period = page.eval_on_selector_all(".tiles.period .tile", TILES)
    assert period["calls"] == "2"
    assert period["service_level"] == _as_api_writes(summary["service_level"])
    expect(page.locator("#days tbody tr")).to_have_count(2)
    expect(page.locator("#days th.day")).to_have_text([yesterday, now.date().isoformat()])
    expect(page.locator(".hint")).to_contain_text("Days and times in Asia/Shanghai")
    expect(page.locator("#trend .uplot canvas")).to_have_count(1)
    # The trend's cursor names the bank's date of the first day, not Los Angeles's.
    page.locator("#trend .u-over").hover(position={"x": 1, "y": 20})
    expect(page.locator("#trend .u-legend .u-series").first).to_contain_text(yesterday)
    page.screenshot(path=SHOTS / "dashboard-days.png", full_page=True)
    assert not [m for m in console if "Content Security Policy" in m], console
    context.close()
