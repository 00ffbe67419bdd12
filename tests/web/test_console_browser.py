"""The agent's desk in a real browser: sign in, ring, pop, coach, wrap up, my work; ring-out.

One service (uvicorn, real Redis and SQLite, the shipped flows) and one headless
Chromium for the module; the caller is the simulator `ivr call`, over HTTP.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ivr.config import PROJECT_DIR
from ivr.simulator.script import Hangup, Press, Speak
from ivr.web.sessions import SESSION_COOKIE
from tests.web.live_server import LiveService, chromium, live_service

pytestmark = pytest.mark.browser

# The README's screenshots are refreshed with IVR_SCREENSHOTS=1; otherwise they go to a
# temporary folder, so a test run leaves the checkout clean.
SHOTS = PROJECT_DIR / "docs" / "screenshots"
if not os.environ.get("IVR_SCREENSHOTS"):
    SHOTS = Path(tempfile.mkdtemp(prefix="console-shots-"))
CALLER = "+8613800138000"
ANGRY_MANDARIN = "你们又乱扣我的钱，我的卡被盗刷了，气死我了，马上给我处理"
BROWSER_ERRORS: list[str] = []  # what the page's console reported as errors (CSP, scripts)
NOTES = "Caller read out card 4111 1111 1111 1111 <script>window.pwned = 1</script>"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveService]:
    yield from live_service(tmp_path_factory.mktemp("desk"), model_cache)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def amy_token(service: LiveService) -> str:
    """Amy is the best agent for every topic; Bo stands by, offline."""
    service.add_agent("amy", status="offline", name="Amy", level=5)
    service.add_agent("bo", status="offline", name="Bo", level=3)
    return service.agent_token("amy")


@pytest.fixture(scope="module")
def amy(service: LiveService, browser: Browser, amy_token: str) -> Iterator[Page]:
    """Amy's console, signed in."""
    token = amy_token
    # Amy's browser is set to Los Angeles; the desk shows and takes times on the bank's clock.
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        base_url=service.url,
        timezone_id="America/Los_Angeles",
    )
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and BROWSER_ERRORS.append(m.text))
    page.goto("/console")
    expect(page).to_have_url(re.compile(r"/signin\?next=/console$"))
    page.screenshot(path=SHOTS / "console-sign-in.png")
    page.fill("#token", token)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console$"))
    expect(page.locator("#live")).to_have_attribute("data-state", "open")
    yield page
    context.close()


def dial_statuses(record: object) -> list[str]:
    return [e.params.get("DialCallStatus", "") for e in record.requests_to("/twilio/dial/done")]  # type: ignore[attr-defined]


def test_an_angry_mandarin_repeat_caller_rings_pops_is_coached_and_wrapped_up(
    service: LiveService, amy: Page, amy_token: str
) -> None:
    # The caller phoned before (hung up at the menu): a repeat caller with a ticket.
    service.call([Press("2"), Hangup()], caller=CALLER, language="zh-CN")
    service.wait_for(
        "the first call's ticket",
        lambda api: api.get("/api/tickets", params={"caller": CALLER}).json(),
    )
    amy.click("button[data-status=available]")
    expect(amy.locator("#status-now")).to_have_text("Available")

    call = service.call_in_background(
        [Press("2"), Speak(ANGRY_MANDARIN), Press("4"), Hangup()], caller=CALLER, language="zh-CN"
    )
    expect(amy.locator("#phone-ringing")).to_be_visible(timeout=20_000)
    expect(amy.locator("#ringing-number")).to_have_text(CALLER)
    pop = amy.locator("#pop")
    expect(pop.locator("#pop-topic")).to_contain_text("Fraud or dispute")
    expect(pop.locator("#pop-emotion")).to_contain_text("Angry")
    expect(pop.locator("#pop-cues")).to_contain_text("气死")
    expect(pop.locator("#pop-language")).to_contain_text("zh-CN")
    expect(pop.locator("#pop-flags")).to_contain_text("Repeat caller")
    expect(pop.locator("#pop-history tbody tr")).to_have_count(1)
    expect(pop.locator("#pop-transcript")).to_contain_text("盗刷")
    guide = amy.locator('[data-guide="zh-CN"]')
    expect(guide.locator('[data-urgent="fraud_dispute"]')).to_be_visible()
    expect(guide.locator(".calming .calm-step")).to_have_count(4)
    amy.screenshot(path=SHOTS / "console-ringing.png")

    # A second tab replays the stream and shows the same ringing call and pop.
    second = amy.context.new_page()
    second.goto("/console")
    expect(second.locator("#phone-ringing")).to_be_visible()
    expect(second.locator("#pop-topic")).to_have_text(pop.locator("#pop-topic").inner_text())
    expect(second.locator("#pop-cues li")).to_have_count(pop.locator("#pop-cues li").count())
    second.close()

    # The keyboard is enough: the ringing call takes the focus, Enter answers it.
    expect(amy.locator("#answer")).to_be_focused()
    amy.keyboard.press("Enter")
    expect(amy.locator("#phone-talking")).to_be_visible()
    expect(amy.locator("#notes")).to_be_focused()
    for box in guide.locator(".calming .calm-step").all():
        box.check()
    amy.fill("#notes", NOTES)
    amy.select_option("#disposition", "complaint")
    amy.check("input[name=bank_at_fault][value=yes]")
    amy.check("input[name=status][value=pending]")
    bank = service.settings.zone
    tomorrow = dt.datetime.now(bank).date() + dt.timedelta(days=1)
    expect(amy.locator("label[for=callback-at]")).to_have_text("Call back on (Asia/Shanghai)")
    amy.fill("#callback-at", f"{tomorrow.isoformat()}T10:00")
    amy.screenshot(path=SHOTS / "console-pop.png", full_page=True)

    amy.click("#end-call")
    expect(amy.locator("#wrap-up")).to_be_visible(timeout=15_000)
    expect(amy.locator("#status-now")).to_have_text("Wrap-up")
    expect(amy.locator("#wrap-up-timer")).not_to_have_text("0:00")  # counting down
    amy.screenshot(path=SHOTS / "console-wrap-up.png", full_page=True)

    # Her session ends before she saves: sign-in, then back, with nothing typed lost.
    session = next(c for c in amy.context.cookies() if c["name"] == SESSION_COOKIE)
    service.end_session(session["value"])
    amy.click("#save-wrapup")
    expect(amy).to_have_url(re.compile(r"/signin\?next=%2Fconsole&expired=1$"))
    expect(amy.locator(".notice")).to_contain_text("Your session has ended")
    amy.fill("#token", amy_token)
    amy.click("button[type=submit]")
    expect(amy).to_have_url(re.compile(r"/console$"))
    expect(amy.locator("#notes")).to_have_value(NOTES)
    expect(guide.locator(".calming .calm-step:checked")).to_have_count(4)
    amy.click("#save-wrapup")
    expect(amy.locator("#wrapup-result")).to_have_text("Saved on the ticket.")

    record = call.result()
    assert dial_statuses(record) == ["completed"]
    dialled = "".join(r.body for r in record.requests)
    assert "<Identity>amy</Identity>" in dialled

    found = re.search(r'<Parameter name="ticket" value="(TK\w+)"', dialled)
    assert found
    # The wrap-up's facts travel the event stream to the ticket, as every call event does.
    ticket = service.wait_for(
        "the wrap-up on the ticket",
        lambda api: (
            (t := api.get(f"/api/tickets/{found.group(1)}").json())
            and any(e["type"] == "agent.wrap_up" for e in t["events"])
            and t
        ),
    )
    assert "4111" not in ticket["notes"] and "[card redacted]" in ticket["notes"]
    assert ticket["status"] == "pending"
    # 10:00 as typed is 10:00 in Shanghai, though the browser's own clock is Los Angeles's.
    ten = dt.datetime.combine(tomorrow, dt.time(10), tzinfo=bank)
    assert ticket["callback_at"] == ten.timestamp()
    ticks = [e["data"]["step"] for e in ticket["events"] if e["type"] == "agent.checklist"]
    assert sorted(ticks) == ["explain", "judge", "listen", "record"]
    wrap = next(e["data"] for e in ticket["events"] if e["type"] == "agent.wrap_up")
    assert wrap["bank_at_fault"] == "yes" and len(wrap["checklist"]) == 4

    # My work: the callback is due, with the ticket's story; typed text shows as text.
    amy.reload()
    callbacks = amy.locator("#callbacks li")
    expect(callbacks.first).to_contain_text(CALLER)
    expect(callbacks.first).to_contain_text("[card redacted]")
    shown = rf"{tomorrow.month}/{tomorrow.day}/{tomorrow.year}, 10:00:00\sAM"
    expect(callbacks.first).to_contain_text(re.compile(shown))
    expect(amy.locator("#work h3").nth(1)).to_have_text("My tickets today (Asia/Shanghai)")
    expect(amy.locator("#today")).to_contain_text("<script>window.pwned = 1</script>")
    assert amy.evaluate("window.pwned") is None
    amy.locator("#work").scroll_into_view_if_needed()
    amy.screenshot(path=SHOTS / "console-my-work.png", full_page=True)

    # No script or style was refused by the Content-Security-Policy, and no script failed.
    assert not [e for e in BROWSER_ERRORS if "Content Security Policy" in e or "Uncaught" in e]

    # On a tablet the desk stacks: nothing wider than the screen.
    amy.set_viewport_size({"width": 820, "height": 1180})
    assert amy.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    amy.set_viewport_size({"width": 1280, "height": 800})
    assert amy.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_call_amy_lets_ring_out_goes_to_the_next_agent(service: LiveService, amy: Page) -> None:
    amy.click("button[data-status=available]")
    expect(amy.locator("#status-now")).to_have_text("Available")
    call = service.call_in_background(
        [Press("1"), Speak("I lost my credit card, please block it"), Press("4"), Hangup()],
        caller="+14155550123",
    )
    expect(amy.locator("#phone-ringing")).to_be_visible(timeout=20_000)
    service.set_status("bo", "available")  # Bo comes back while Amy's console rings
    expect(amy.locator("#phone-note")).to_contain_text("Missed call", timeout=40_000)
    expect(amy.locator("#phone-ringing")).to_be_hidden()
    record = call.result()
    assert dial_statuses(record) == ["no-answer", "completed"], [n.text for n in record.notes]
    dialled = [r.body for r in record.requests if "<Dial" in r.body]
    assert "<Identity>amy</Identity>" in dialled[0] and "<Identity>bo</Identity>" in dialled[1]
