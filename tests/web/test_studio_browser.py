"""The flow studio, the roster and the offline API docs in a real browser.

An admin breaks a flow and sees the error at its line, fixes it, tries it in
the page, publishes; the next simulated call follows the new version while a
call already in the menu finishes on the old one; a rollback restores it; the
audit log lists each step. One service (uvicorn, real Redis and SQLite) and
one headless Chromium for the module; callers are the simulator, over HTTP.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ivr.config import PROJECT_DIR
from ivr.ids import Language
from ivr.prompts.loader import load_prompts
from ivr.simulator import verbs
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord
from ivr.simulator.script import Hangup, Press, ScriptStep
from tests.web.live_server import ADMIN_TOKEN, LiveService, chromium, live_service

pytestmark = pytest.mark.browser

# The README's screenshots are refreshed with IVR_SCREENSHOTS=1; otherwise they go to a
# temporary folder, so a test run leaves the repository as it was.
SHOTS = PROJECT_DIR / "docs" / "screenshots"
if not os.environ.get("IVR_SCREENSHOTS"):
    SHOTS = Path(tempfile.mkdtemp(prefix="studio-shots-"))
LOANS_CALL: list[ScriptStep] = [Press("1"), Press("5"), Hangup()]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[LiveService]:
    yield from live_service(tmp_path_factory.mktemp("studio"), model_cache)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from chromium()


@pytest.fixture(scope="module")
def admin(service: LiveService, browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=service.url)
    page = context.new_page()
    page.goto("/admin/flows?flow=main")
    page.fill("#token", ADMIN_TOKEN)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/admin/flows$"))
    expect(page.locator("#editor-heading")).to_contain_text("main")
    yield page
    context.close()


class PausedInTheMenu:
    """A simulated call on its own thread that waits at the main menu until released."""

    def __init__(self, service: LiveService, steps: list[ScriptStep]) -> None:
        self.in_menu = threading.Event()
        self.release = threading.Event()
        self.record: CallRecord | None = None
        outer = self

        class Caller(ScriptedCaller):
            gathers = 0

            async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
                self.gathers += 1
                if self.gathers == 2:  # the first was the language choice
                    outer.in_menu.set()
                    await asyncio.to_thread(outer.release.wait, 60)
                return await super().at_gather(gather)

        carrier = Carrier(base_url=service.url, auth_token=service.settings.twilio_auth_token)

        def run() -> None:
            self.record = asyncio.run(carrier.place_call(caller_input=Caller(steps)))

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def finish(self) -> CallRecord:
        self.release.set()
        self._thread.join(60)
        assert self.record is not None, "the paused call did not end"
        return self.record


def route_heard(service: LiveService, record: CallRecord) -> str:
    """Which route prompt a caller heard: the loans one or the digital banking one."""
    prompts = load_prompts(service.settings.prompts_dir)
    for prompt in ("loans_intro", "digital_intro"):
        if prompts.text(prompt, Language.EN_US) in record.transcript:
            return prompt
    raise AssertionError(record.transcript)


def edit_line(page: Page, find: str, replace: str) -> int:
    """Select the line holding `find` in the editor and type `replace` over it; its number."""
    line = page.evaluate(
        """(find) => {
            const cm = document.querySelector(".CodeMirror").CodeMirror;
            const line = cm.getValue().split("\\n").findIndex((l) => l.trim() === find);
            const text = cm.getLine(line);
            const start = text.indexOf(find);
            cm.focus();
            cm.setSelection({line, ch: start}, {line, ch: start + find.length});
            return line + 1;
        }""",
        find,
    )
    assert line > 0, find
    page.keyboard.type(replace)
    return int(line)


def test_break_fix_try_publish_calls_rollback_and_audit(service: LiveService, admin: Page) -> None:
    page = admin
    expect(page.locator("#check-status")).to_have_text(re.compile("No problems"))
    expect(page.locator("#diagram")).to_have_attribute("src", re.compile("^data:image/svg"))
    paused = PausedInTheMenu(service, LOANS_CALL)
    assert paused.in_menu.wait(30), "the first call did not reach the menu"

    # Break it: the problem is shown at its line, and publishing is not offered.
    line = edit_line(page, "'5': loans", "'5': loanz")
    problem = page.locator("#problems li").first
    expect(problem).to_contain_text(f"line {line}")
    expect(problem).to_contain_text("'5' leads to unknown node 'loanz'")
    expect(page.locator(f'.problem-marker[data-line="{line}"]')).to_be_visible()
    expect(page.locator(".CodeMirror .cm-error-line")).to_have_count(1)
    expect(page.locator("#publish")).to_be_disabled()
    page.screenshot(path=SHOTS / "studio-error.png")

    # Fix it (loans now go to digital banking), then try the draft in the page.
    edit_line(page, "'5': loanz", "'5': digital")
    expect(page.locator("#check-status")).to_have_text(re.compile("No problems"))
    expect(page.locator(".CodeMirror .cm-error-line")).to_have_count(0)
    page.click("#dial")
    expect(page.locator("#try-status")).to_have_attribute("data-waiting", "keys")
    for keys, then in (("1", "keys or speech"), ("5", "agent")):
        page.fill("#try-input", keys)
        page.keyboard.press("Enter")
        expect(page.locator("#try-status")).to_have_attribute("data-waiting", then)
    expect(page.locator("#heard")).to_contain_text("(to an agent: topic digital_banking)")
    page.screenshot(path=SHOTS / "studio-try.png")

    # Publish: the call already in the menu finishes on version 1, a new call takes version 2.
    page.fill("#publish-message", "Loans <b>go</b> to digital banking")
    page.click("#publish")
    expect(page.locator("#publish-status")).to_contain_text("Published as version 2")
    expect(page.locator("#history tr").first).to_contain_text("Loans <b>go</b> to digital banking")
    new_call = service.call(LOANS_CALL)
    assert route_heard(service, new_call) == "digital_intro"
    assert route_heard(service, paused.finish()) == "loans_intro"

    # History with a diff, then a one-click rollback to version 1.
    page.click("#show-diff")
    expect(page.locator("#diff .add")).to_contain_text("'5': digital")
    expect(page.locator("#diff .del")).to_contain_text("'5': loans")
    page.screenshot(path=SHOTS / "studio-history.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('#history tr[data-version="1"] button.rollback').click()
    expect(page.locator("#publish-status")).to_contain_text("version 1 is live")
    expect(page.locator("#live-version")).to_have_text("v3")
    assert route_heard(service, service.call(LOANS_CALL)) == "loans_intro"

    # The audit log lists each step, newest first.
    actions = page.locator("#audit tr td:nth-child(3)")
    expect(actions).to_have_count(3)
    expect(actions.nth(0)).to_contain_text("flow.rollback v2 → v3")
    expect(actions.nth(1)).to_contain_text("flow.publish v1 → v2")
    expect(actions.nth(2)).to_contain_text("flow.seed")
    page.screenshot(path=SHOTS / "studio.png", full_page=True)


def test_prompts_lint_as_you_type(admin: Page) -> None:
    page = admin
    page.goto("/admin/prompts")
    expect(page.locator('section[data-language="zh-CN"] .CodeMirror')).to_be_visible()
    line = page.evaluate(
        """() => {
            const editor = 'section[data-language="en-US"] .CodeMirror';
            const cm = document.querySelector(editor).CodeMirror;
            const line = cm.getValue().split("\\n").findIndex((l) => l.startsWith("  goodbye:"));
            const end = {line, ch: cm.getLine(line).length};
            cm.replaceRange("  goodbye: Sorry, but we can't stay.", {line, ch: 0}, end);
            return line + 1;
        }"""
    )
    problems = page.locator("#problems-en-US li")
    expect(problems.first).to_contain_text(f"line {line} · goodbye")
    expect(page.locator("#problems-en-US")).to_contain_text("but")
    expect(page.locator("#prompts-publish")).to_be_disabled()
    page.screenshot(path=SHOTS / "studio-prompts.png")


def test_the_roster_is_edited_in_the_page(service: LiveService, admin: Page) -> None:
    service.add_agent("amy", status="offline", name="Amy <Ops>", level=3)
    page = admin
    page.goto("/admin/agents")
    form = page.locator('form[data-agent="amy"]')
    expect(form.locator("input[name=name]")).to_have_value("Amy <Ops>")
    form.locator('input[name="skill:loans"]').fill("5")
    form.locator("input[name=traits]").fill("de_escalation, mortgages")
    form.locator("select[name=state]").select_option("available")
    form.locator("button[type=submit]").click()
    expect(form.locator(".result")).to_have_text("Saved.")
    with service.api() as api:
        amy = api.get("/api/agents/amy").json()
        entries = api.get("/api/audit", params={"target": "agent:amy"}).json()
    assert amy["agent"]["skills"]["loans"] == 5
    assert amy["agent"]["traits"] == ["de_escalation", "mortgages"]
    assert amy["status"]["state"] == "available"
    assert [e["action"] for e in entries][:2] == ["agent.status", "agent.update"]
    audit = page.locator("#audit tr")
    expect(audit.first).to_contain_text("agent.status agent:amy")
    expect(audit.nth(1)).to_contain_text('"loans":5')
    page.screenshot(path=SHOTS / "agents.png", full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})
    page.screenshot(path=SHOTS / "agents-tablet.png")
    page.set_viewport_size({"width": 1280, "height": 800})


def test_api_docs_work_offline_under_the_csp(service: LiveService, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=service.url)
    outside: list[str] = []
    context.route(
        re.compile(r"^(?!http://127\.0\.0\.1)"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ivr")
    expect(page.locator(".opblock-tag", has_text="flows")).to_be_visible()
    page.screenshot(path=SHOTS / "docs-offline.png")
    page.goto("/redoc")
    expect(page.locator("h1", has_text="ivr")).to_be_visible(timeout=20_000)
    # Nothing left the machine; no script or style of ours was refused. (ReDoc's footer
    # links the vendor's logo from their CDN: the CSP blocks that image, as it should.)
    assert outside == []
    assert [m for m in refused if "img-src" not in m] == []
    context.close()


def test_the_studio_in_chinese_on_a_tablet_from_the_keyboard(admin: Page) -> None:
    page = admin
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/lang?to=zh-CN&next=/admin/flows")
    expect(page.locator("#editor-heading")).to_contain_text("流程 main（YAML）")
    expect(page.locator("#check-status")).to_have_text("没有问题，可以发布这个草稿。")
    # From the keyboard: into the editor, out with Esc, on to the next control.
    page.locator(".CodeMirror").click()
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    expect(page.locator("#publish-message")).to_be_focused()
    page.screenshot(path=SHOTS / "studio-tablet-zh.png")
    page.goto("/lang?to=en-US&next=/admin/flows")
    page.set_viewport_size({"width": 1280, "height": 800})
