"""The flows API: list and read (admin, supervisor), replace (admin) with every error on 422."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api.flows import router
from ivr.config import PROJECT_DIR, Settings
from ivr.flows.catalog import FlowCatalog
from ivr.keys import Keys
from ivr.security import Role
from ivr.tickets.store import TicketStore

ADMIN = {"Authorization": "Bearer test-admin-token"}

SURVEY = """\
name: survey
start: intro
nodes:
  intro:
    type: say
    prompt: goodbye
    next: survey
  survey:
    type: survey
    prompt: survey_question
"""


@dataclass
class Service:
    """One server process: its app, its client and its flows."""

    client: httpx.AsyncClient
    catalog: FlowCatalog


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / "config" / part)
    return tmp_path / "config"


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[TicketStore]:
    s = await TicketStore.open(settings.database_url)
    yield s
    await s.close()


@pytest.fixture
async def services(
    config: Path, settings: Settings, redis: aioredis.Redis, keys: Keys, store: TicketStore
) -> AsyncIterator[list[Service]]:
    """Two server processes sharing the config folder, Redis and the ticket store."""
    made: list[Service] = []
    for _ in range(2):
        app = FastAPI()
        app.include_router(router)
        app.state.settings, app.state.redis, app.state.keys = settings, redis, keys
        app.state.tickets = store
        app.state.flows = FlowCatalog.load(
            flows_dir=config / "flows", prompts_dir=config / "prompts"
        )
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        made.append(Service(client=client, catalog=app.state.flows))
    yield made
    for service in made:
        await service.client.aclose()


async def bearer(store: TicketStore, role: Role) -> dict[str, str]:
    token, _ = await store.create_token(role, agent_id="a1" if role is Role.AGENT else None)
    return {"Authorization": f"Bearer {token}"}


async def test_list_flows(services: list[Service], store: TicketStore) -> None:
    client = services[0].client
    answer = await client.get("/api/flows", headers=ADMIN)
    assert answer.status_code == 200
    listed = {f["name"]: f for f in answer.json()}
    assert set(listed) == {"cards", "main", "survey"}
    assert listed["main"]["start"] == "language" and listed["main"]["nodes"] > 10
    supervisor = await client.get("/api/flows", headers=await bearer(store, Role.SUPERVISOR))
    assert supervisor.status_code == 200


async def test_who_may_read(services: list[Service], store: TicketStore) -> None:
    client = services[0].client
    assert (await client.get("/api/flows")).status_code == 401
    agent = await bearer(store, Role.AGENT)
    assert (await client.get("/api/flows", headers=agent)).status_code == 403
    assert (await client.get("/api/flows/main", headers=agent)).status_code == 403


async def test_get_one_flow_as_yaml(services: list[Service], config: Path) -> None:
    answer = await services[0].client.get("/api/flows/main", headers=ADMIN)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/yaml")
    assert answer.text == (config / "flows" / "main.yaml").read_text(encoding="utf-8")
    for missing in ("nope", "..%2Fmain", "MAIN"):
        assert (
            await services[0].client.get(f"/api/flows/{missing}", headers=ADMIN)
        ).status_code == 404


async def test_put_replaces_the_flow_everywhere(
    services: list[Service], config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    first, second = services
    await second.catalog.reload_if_stale(redis, keys)  # the second process has served a call
    answer = await first.client.put("/api/flows/survey", content=SURVEY, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    # Version 1 is the file as the service found it; this publish is version 2.
    assert answer.json() == {"name": "survey", "nodes": 2, "version": 2}
    assert (config / "flows" / "survey.yaml").read_text(encoding="utf-8") == SURVEY
    assert "intro" in first.catalog.get("survey").nodes
    # The other process reloads on its next call (or API read).
    assert "intro" not in second.catalog.get("survey").nodes
    read = await second.client.get("/api/flows/survey", headers=ADMIN)
    assert read.text == SURVEY
    assert "intro" in second.catalog.get("survey").nodes


async def test_an_invalid_flow_is_refused_with_every_error(
    services: list[Service], config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    service = services[0]
    before = (config / "flows" / "survey.yaml").read_text(encoding="utf-8")
    running = service.catalog.get("survey")
    broken = SURVEY.replace("next: survey", "next: nowhere").replace(
        "prompt: goodbye", "prompt: goodbye\n    colour: red"
    )
    answer = await service.client.put("/api/flows/survey", content=broken, headers=ADMIN)
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    assert {(e["node"], e["line"], e["message"]) for e in errors} == {
        ("intro", 7, "unknown field 'colour'"),
    }
    assert all(e["file"] == "flows/survey.yaml" and e["flow"] == "survey" for e in errors)
    # A flow that parses but does not hang together: each graph problem with its place.
    answer = await service.client.put(
        "/api/flows/survey", content=SURVEY.replace("next: survey", "next: nowhere"), headers=ADMIN
    )
    assert answer.status_code == 422
    assert {(e["node"], e["line"]) for e in answer.json()["detail"]} == {
        ("intro", 7),
        ("survey", 8),
    }
    assert service.catalog.get("survey") == running
    assert (config / "flows" / "survey.yaml").read_text(encoding="utf-8") == before
    assert await redis.get(keys.flows_version()) is None


async def test_a_malformed_node_does_not_hide_the_other_nodes_errors(
    services: list[Service], config: Path
) -> None:
    # Regression: an unknown node type used to skip the prompt checks of the nodes that parsed.
    service = services[0]
    running = service.catalog.get("survey")
    broken = SURVEY.replace("next: survey", "next: nowhere_node") + (
        "  rec:\n"
        "    type: recordz\n"
        "    prompt: goodbye\n"
        "  bye:\n"
        "    type: say\n"
        "    prompt: no_such_prompt\n"
        "    next: survey\n"
    )
    answer = await service.client.put("/api/flows/survey", content=broken, headers=ADMIN)
    assert answer.status_code == 422
    errors = answer.json()["detail"]
    found = {(e["node"], e["line"], e["message"].split(" found using")[0]) for e in errors}
    assert found == {
        ("rec", 11, "Input tag 'recordz'"),
        ("intro", 7, "'next' leads to unknown node 'nowhere_node'"),
        ("bye", 16, "prompt 'no_such_prompt' is missing in en-US, zh-CN"),
    }
    assert all(e["file"] == "flows/survey.yaml" and e["flow"] == "survey" for e in errors)
    assert service.catalog.get("survey") == running


async def test_only_admins_may_change_flows(
    services: list[Service], store: TicketStore, config: Path
) -> None:
    client = services[0].client
    before = (config / "flows" / "survey.yaml").read_text(encoding="utf-8")
    supervisor = await bearer(store, Role.SUPERVISOR)
    assert (
        await client.put("/api/flows/survey", content=SURVEY, headers=supervisor)
    ).status_code == 403
    assert (await client.put("/api/flows/survey", content=SURVEY)).status_code == 401
    assert (config / "flows" / "survey.yaml").read_text(encoding="utf-8") == before


async def test_bodies_that_are_not_a_flow(services: list[Service]) -> None:
    client = services[0].client
    not_text = await client.put("/api/flows/survey", content=b"\xff\xfe\x00", headers=ADMIN)
    assert not_text.status_code == 422
    huge = await client.put("/api/flows/survey", content=b"#" * 300_000, headers=ADMIN)
    assert huge.status_code == 413
    empty = await client.put("/api/flows/survey", content=b"", headers=ADMIN)
    assert empty.status_code == 422
    bad_name = await client.put("/api/flows/Bad%20Name", content=SURVEY, headers=ADMIN)
    assert bad_name.status_code == 422
