"""An in-process service (real Redis, real SQLite, the shipped flows) and the simulated carrier."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from ivr.app import create_app
from ivr.config import PROJECT_DIR, Settings
from ivr.simulator.carrier import Carrier

ADMIN = {"Authorization": "Bearer test-admin-token"}


@dataclass
class Service:
    """A running service and ways to talk to it."""

    app: FastAPI
    settings: Settings
    transport: httpx.ASGITransport

    def carrier(self, **kw: Any) -> Carrier:
        """The simulated carrier, signing with the service's auth token."""
        return Carrier(
            base_url=self.settings.public_url,
            auth_token=self.settings.twilio_auth_token,
            transport=self.transport,
            **kw,
        )

    def api(self) -> httpx.AsyncClient:
        """A JSON API client with the admin token."""
        return httpx.AsyncClient(
            transport=self.transport, base_url=self.settings.public_url, headers=ADMIN
        )

    async def add_agent(self, agent_id: str, **fields: Any) -> None:
        """Register an available agent through the public API."""
        body = {
            "id": agent_id,
            "name": fields.pop("name", agent_id.title()),
            "endpoint": fields.pop("endpoint", "client"),
            "languages": fields.pop("languages", ["en-US", "zh-CN"]),
            "skills": fields.pop("skills", {t: 3 for t in TOPICS}),
            **fields,
        }
        async with self.api() as api:
            created = await api.post("/api/agents", json=body)
            assert created.status_code in (200, 201), created.text
            ready = await api.put(f"/api/agents/{agent_id}/status", json={"status": "available"})
            assert ready.status_code == 200, ready.text


TOPICS = [
    "lost_stolen_card",
    "card_services",
    "account_inquiry",
    "payments_transfers",
    "loans",
    "digital_banking",
    "fraud_dispute",
    "complaint",
    "general",
]


def set_hours(config_dir: Path, *, open_: bool) -> None:
    """Make the shipped flow's business hours always open, or always closed."""
    path = config_dir / "flows" / "main.yaml"
    flow = yaml.safe_load(path.read_text())
    hours = next(n for n in flow["nodes"].values() if n["type"] == "hours")
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    hours["weekly"] = {d: ["00:00-24:00"] for d in days} if open_ else {}
    path.write_text(yaml.safe_dump(flow, allow_unicode=True))


@pytest.fixture
def config_dir(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """The shipped configuration with an empty roster, so each test picks its agents.

    The bank is open around the clock, except for tests named `..._after_hours_...`.
    """
    target = tmp_path / "config"
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(PROJECT_DIR / part, target / part)
    (target / "routing" / "agents.yaml").write_text("agents: []\n")
    set_hours(target, open_="after_hours" not in request.node.name)
    yield target


@pytest.fixture
async def service(
    settings: Settings, config_dir: Path, model_cache: Path
) -> AsyncIterator[Service]:
    """The real app with its lifespan: persister, routing clock, transcription worker."""
    settings.config_dir = config_dir
    settings.cache_dir = model_cache
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield Service(app=app, settings=settings, transport=httpx.ASGITransport(app=app))
