"""One real service on a free port (uvicorn in a thread) and one headless Chromium, per module."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import redis as syncredis
import uvicorn
from playwright.sync_api import Browser, Playwright, sync_playwright

from ivr.app import create_app
from ivr.config import PROJECT_DIR, Settings
from ivr.keys import Keys
from ivr.security import Role
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord
from ivr.simulator.script import ScriptStep
from ivr.tickets.store import TicketStore
from tests.conftest import REDIS_URL, _drop_prefix
from tests.telephony.conftest import TOPICS, set_hours

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ADMIN_TOKEN = "test-admin-token"
T = TypeVar("T")


def in_a_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on a thread of its own (Playwright's sync API owns this one)."""
    result: list[T] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(work())))
    thread.start()
    thread.join(60)
    assert result, "the work did not finish"
    return result[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveService:
    """The running service, its settings, and a way to place simulated calls to it."""

    settings: Settings
    url: str

    def api(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
        )

    def add_agent(self, agent_id: str, *, status: str, **fields: Any) -> None:
        level = fields.pop("level", 3)
        body = {
            "id": agent_id,
            "name": fields.pop("name", agent_id.title()),
            "endpoint": "client",
            "languages": ["en-US", "zh-CN"],
            "skills": dict.fromkeys(TOPICS, level),
        }
        with self.api() as api:
            assert api.post("/api/agents", json=body).status_code in (200, 201)
            self.set_status(agent_id, status)

    def end_session(self, session_id: str) -> None:
        """A browser session expires (as after IVR_WEB_SESSION_SECONDS idle)."""
        client = syncredis.Redis.from_url(REDIS_URL)
        try:
            client.delete(Keys(prefix=self.settings.redis_prefix).web_session(session_id))
        finally:
            client.close()

    def set_status(self, agent_id: str, status: str) -> None:
        with self.api() as api:
            answer = api.put(f"/api/agents/{agent_id}/status", json={"status": status})
            assert answer.status_code == 200, answer.text

    def agent_token(self, agent_id: str) -> str:
        async def create() -> str:
            store = await TicketStore.open(self.settings.database_url_async())
            try:
                return (await store.create_token(Role.AGENT, agent_id=agent_id))[0]
            finally:
                await store.close()

        return in_a_thread(create)

    def call(self, steps: list[ScriptStep], **kw: Any) -> CallRecord:
        """Place a simulated call over real HTTP and wait for it to end."""
        return self.call_in_background(steps, **kw).result()

    def call_in_background(self, steps: list[ScriptStep], **kw: Any) -> CallInProgress:
        """Place a call on its own thread (the console answers it meanwhile)."""
        return CallInProgress(self, steps, kw)

    def wait_for(self, what: str, check: Any, *, seconds: float = 20.0) -> Any:
        """Poll the API until `check(api)` gives a truthy value (bounded)."""
        deadline = time.monotonic() + seconds
        with self.api() as api:
            while True:
                value = check(api)
                if value:
                    return value
                assert time.monotonic() < deadline, f"gave up waiting for {what}"
                time.sleep(0.2)


class CallInProgress:
    def __init__(self, service: LiveService, steps: list[ScriptStep], kw: dict[str, Any]) -> None:
        self.record: CallRecord | None = None
        self.error: BaseException | None = None

        carrier = Carrier(base_url=service.url, auth_token=service.settings.twilio_auth_token)

        def run() -> None:
            try:
                self.record = asyncio.run(carrier.place_call(steps, **kw))
            except BaseException as exc:  # handed to the test in result()
                self.error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self, seconds: float = 60.0) -> CallRecord:
        self._thread.join(seconds)
        assert not self._thread.is_alive(), "the simulated call did not end"
        if self.error is not None:
            raise self.error
        assert self.record is not None
        return self.record


def live_service(tmp: Path, model_cache: Path) -> Iterator[LiveService]:
    """Serve the real app (lifespan and all) on a free port until the generator is closed."""
    prefix = f"ivr-test:{uuid.uuid4().hex[:12]}:"
    config = tmp / "config"
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(PROJECT_DIR / part, config / part)
    (config / "routing" / "agents.yaml").write_text("agents: []\n")
    set_hours(config, open_=True)
    port = free_port()
    settings = Settings(
        twilio_auth_token="test-auth-token-0123456789abcdef",
        twilio_account_sid="AC" + "0" * 32,
        public_url=f"http://127.0.0.1:{port}",
        redis_url=REDIS_URL,
        database_url=f"sqlite:///{tmp / 'ivr.db'}",
        data_dir=tmp / "var",
        config_dir=config,
        cache_dir=model_cache,
        admin_token=ADMIN_TOKEN,
        redis_prefix=prefix,
        log_level="WARNING",
        timezone="Asia/Shanghai",  # the bank's days; browsers in the tests sit elsewhere
        _env_file=None,  # type: ignore[call-arg]
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the service did not start"
        time.sleep(0.1)
    try:
        yield LiveService(settings=settings, url=settings.public_url)
    finally:
        server.should_exit = True
        thread.join(30)
        _drop_prefix(prefix)


def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    playwright: Playwright = sync_playwright().start()
    browser = playwright.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()
        playwright.stop()
