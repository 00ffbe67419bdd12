"""The studio's API: check a draft, draw it, try it, publish with a version check, history,
diff, rollback, prompts with their lint, and the audit log of each step."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ivr.api import audit, flow_trial, flow_versions, flows, prompts
from ivr.config import PROJECT_DIR, Settings
from ivr.errors import ConflictError, NotFoundError
from ivr.flows.catalog import FlowCatalog
from ivr.keys import Keys
from ivr.tickets.store import TicketStore

SVG = "{http://www.w3.org/2000/svg}"
ADMIN = {"Authorization": "Bearer test-admin-token"}
SURVEY = (PROJECT_DIR / "flows" / "survey.yaml").read_text(encoding="utf-8")
SURVEY_BYE_FIRST = """\
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


@pytest.fixture
async def client(
    tmp_path: Path, settings: Settings, redis: aioredis.Redis, keys: Keys
) -> AsyncIterator[httpx.AsyncClient]:
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / "config" / part)
    app = FastAPI()
    for module in (flows, flow_versions, flow_trial, prompts, audit):
        app.include_router(module.router)
    for error, code in ((NotFoundError, 404), (ConflictError, 409)):

        async def handle(request: Request, exc: Exception, code: int = code) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=code)

        app.add_exception_handler(error, handle)
    store = await TicketStore.open(settings.database_url)
    app.state.settings, app.state.redis, app.state.keys, app.state.tickets = (
        settings,
        redis,
        keys,
        store,
    )
    app.state.flows = FlowCatalog.load(
        flows_dir=tmp_path / "config" / "flows", prompts_dir=tmp_path / "config" / "prompts"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=ADMIN
    ) as made:
        yield made
    await store.close()


async def test_check_names_line_and_node_and_the_drawing_marks_them(
    client: httpx.AsyncClient,
) -> None:
    broken = SURVEY_BYE_FIRST.replace("next: survey", "next: nowhere")
    found = (await client.post("/api/flows/survey/check", content=broken)).json()
    assert found["ok"] is False
    assert {(e["node"], e["line"]) for e in found["errors"]} == {("intro", 7), ("survey", 8)}
    assert all(e["file"] == "flows/survey.yaml" for e in found["errors"])
    fine = (await client.post("/api/flows/survey/check", content=SURVEY_BYE_FIRST)).json()
    assert fine == {"ok": True, "nodes": 2, "errors": []}
    drawn = await client.post("/api/flows/survey/graph", content=broken)
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(drawn.content)
    outlines = {
        group.get("id"): shape.get("stroke")
        for group in svg.iter(SVG + "g")
        for shape in group.iter(SVG + "path")
        if (group.get("id") or "").startswith("node-")
    }
    assert outlines["node-intro"] == "#dc2626" and outlines["node-survey"] == "#dc2626"
    live = await client.get("/api/flows/main/graph")
    assert live.status_code == 200 and "main_menu" in live.text
    deep = await client.post("/api/flows/survey/check", content="a: " + "[" * 3000 + "]" * 3000)
    assert deep.status_code == 200 and "nested more than" in deep.json()["errors"][0]["message"]
    huge = await client.post("/api/flows/survey/check", content="#" * (300 * 1024))
    assert huge.status_code == 413


async def test_publish_history_diff_conflict_rollback_and_audit(
    client: httpx.AsyncClient,
) -> None:
    read = await client.get("/api/flows/survey")
    assert read.headers["etag"] == '"0"'  # never published through a version yet
    history = (await client.get("/api/flows/survey/versions")).json()
    assert [(v["version"], v["author"]) for v in history] == [(1, "files")]
    assert (await client.get("/api/flows/survey")).headers["etag"] == '"1"'

    published = await client.put(
        "/api/flows/survey",
        content=SURVEY_BYE_FIRST,
        params={"message": "say goodbye first"},
        headers={"If-Match": '"1"'},
    )
    assert published.status_code == 200, published.text
    assert published.json() == {"name": "survey", "nodes": 2, "version": 2}
    # A second admin who also edited version 1 is told, and nothing of theirs is taken.
    late = await client.put("/api/flows/survey", content=SURVEY, headers={"If-Match": '"1"'})
    assert late.status_code == 409 and "changed under you" in late.json()["detail"]
    assert (await client.get("/api/flows/survey")).text == SURVEY_BYE_FIRST
    listed = {f["name"]: f["version"] for f in (await client.get("/api/flows")).json()}
    assert listed["survey"] == 2

    change = (await client.get("/api/flows/survey/diff", params={"from": 1, "to": 2})).json()
    assert change["from"] == 1 and change["to"] == 2 and "+    next: survey" in change["diff"]
    old = await client.get("/api/flows/survey/versions/1")
    assert old.text == SURVEY
    assert (await client.get("/api/flows/survey/versions/9")).status_code == 404

    back = await client.post("/api/flows/survey/rollback", json={"version": 1, "base": 2})
    assert back.status_code == 200 and back.json()["version"] == 3
    assert (await client.get("/api/flows/survey")).text == SURVEY
    stale = await client.post("/api/flows/survey/rollback", json={"version": 2, "base": 2})
    assert stale.status_code == 409

    entries = (await client.get("/api/audit", params={"target": "flow:survey"})).json()
    assert [e["action"] for e in entries] == ["flow.rollback", "flow.publish", "flow.seed"]
    assert entries[1]["actor"] == "admin:env:IVR_ADMIN_TOKEN"
    assert entries[1]["changes"]["after"] == {"version": 2, "message": "say goodbye first"}
    only_flows = (await client.get("/api/audit", params={"action": "flow."})).json()
    assert len(only_flows) == 3


async def test_try_the_draft_step_by_step(client: httpx.AsyncClient) -> None:
    draft = (PROJECT_DIR / "flows" / "main.yaml").read_text().replace('"5": loans', '"5": digital')
    body = {"draft": draft, "hours": "open"}
    dialled = (await client.post("/api/flows/main/try", json=body)).json()
    assert dialled["waiting"] == "keys" and dialled["node"] == "language"
    english = (
        await client.post(
            "/api/flows/main/try", json=body | {"state": dialled["state"], "input": {"keys": "1"}}
        )
    ).json()
    assert english["node"] == "main_menu"
    routed = (
        await client.post(
            "/api/flows/main/try", json=body | {"state": english["state"], "input": {"keys": "5"}}
        )
    ).json()
    assert routed["waiting"] == "agent"
    assert routed["heard"][-1]["text"] == "(to an agent: topic digital_banking)"
    # The live flow is untouched by trying a draft.
    assert '"5": loans' in (await client.get("/api/flows/main")).text
    broken = await client.post("/api/flows/main/try", json={"draft": draft + "  x: {type: say}\n"})
    assert broken.status_code == 422 and broken.json()["detail"][0]["node"] == "x"
    bad_keys = await client.post("/api/flows/main/try", json=body | {"input": {"keys": "<b>"}})
    assert bad_keys.status_code == 422


async def test_prompts_lint_inline_and_missing_translations_refuse_publishing(
    client: httpx.AsyncClient,
) -> None:
    languages = {p["language"]: p for p in (await client.get("/api/prompts")).json()}
    assert {k: v["version"] for k, v in languages.items()} == {"en-US": 1, "zh-CN": 1}
    english = languages["en-US"]["text"]
    refusal = english.replace(
        'language_choice: "Thank you for calling. For English, press 1."',
        'language_choice: "Sorry, but we can\'t help. For English, press 1."',
    )
    checked = (await client.post("/api/prompts/check", json={"texts": {"en-US": refusal}})).json()
    assert checked["ok"] is False
    lines = {(p["id"], p["line"]) for p in checked["problems"]}
    line = 1 + english.splitlines().index(
        '  language_choice: "Thank you for calling. For English, press 1."'
    )
    assert ("language_choice", line) in lines
    assert any("but" in p["message"] for p in checked["problems"])
    untranslated = english.replace("prompts:\n", "prompts:\n  only_english: Hello.\n", 1)
    missing = (
        await client.post("/api/prompts/check", json={"texts": {"en-US": untranslated}})
    ).json()
    # The missing translation is flagged in the language that lacks it.
    assert [(p["language"], p["id"], p["message"]) for p in missing["problems"]] == [
        ("zh-CN", "only_english", "'only_english' is missing here (present in en-US)")
    ]
    refused = await client.put("/api/prompts", json={"texts": {"en-US": refusal}})
    assert refused.status_code == 422
    kinder = english.replace("Thank you for calling.", "Thank you for calling us.")
    done = await client.put(
        "/api/prompts",
        json={"texts": {"en-US": kinder}, "message": "warmer welcome", "base": {"en-US": 1}},
    )
    assert done.status_code == 200, done.text
    assert [(v["name"], v["version"]) for v in done.json()] == [("en-US", 2)]
    # A second admin who edited version 1 of both languages is told; neither is stored.
    stale = await client.put(
        "/api/prompts",
        json={
            "texts": {"en-US": english, "zh-CN": languages["zh-CN"]["text"]},
            "base": {"en-US": 1, "zh-CN": 1},
        },
    )
    assert stale.status_code == 409
    listed = {p["language"]: p["version"] for p in (await client.get("/api/prompts")).json()}
    assert listed == {"en-US": 2, "zh-CN": 1}
    entries = (await client.get("/api/audit", params={"target": "prompts:en-US"})).json()
    assert [e["action"] for e in entries] == ["prompts.publish", "prompts.seed"]
