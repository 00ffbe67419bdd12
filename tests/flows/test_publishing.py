"""Publishing flows: versions in the ticket store (SQLite and PostgreSQL), the version check,
rollback, the audit trail, and what every server process and call sees."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from ivr.calls.state import CallState
from ivr.config import PROJECT_DIR, Settings
from ivr.errors import ConflictError
from ivr.flows.catalog import FlowCatalog
from ivr.flows.loader import FlowConfigError
from ivr.flows.pinning import FlowVersionSource
from ivr.flows.publishing import FLOW, publish_flow, rollback_flow, seed_all
from ivr.keys import Keys
from ivr.tickets.audit import AuditLog
from ivr.tickets.store import TicketStore
from ivr.tickets.versions import VersionStore, diff

SURVEY_V2 = """\
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


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, settings: Settings) -> AsyncIterator[TicketStore]:
    url = settings.database_url if request.param == "sqlite" else request.getfixturevalue("pg_url")
    opened = await TicketStore.open(url)
    yield opened
    await opened.close()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / "config" / part)
    return tmp_path / "config"


def load(config: Path) -> FlowCatalog:
    return FlowCatalog.load(flows_dir=config / "flows", prompts_dir=config / "prompts")


async def test_versions_history_diff_and_rollback(
    store: TicketStore, config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    catalog, versions = load(config), VersionStore(sessions=store.session)
    await seed_all(catalog=catalog, versions=versions, redis=redis, keys=keys)
    assert catalog.live_versions == {"cards": 1, "main": 1, "survey": 1}
    original = (config / "flows" / "survey.yaml").read_text()
    common = {"catalog": catalog, "versions": versions, "redis": redis, "keys": keys}
    v2 = await publish_flow(
        **common, name="survey", text=SURVEY_V2, author="admin:ann", message="say bye first"
    )
    assert (v2.version, v2.author, v2.message) == (2, "admin:ann", "say bye first")
    assert (config / "flows" / "survey.yaml").read_text() == SURVEY_V2
    assert "intro" in catalog.flows["survey"].nodes
    assert await redis.hget(keys.flows_live(), "survey") == b"2"
    assert await redis.get(keys.flow_text("survey", 1)) == original.encode()
    history = await versions.history(FLOW, "survey")
    assert [(v.version, v.author) for v in history] == [(2, "admin:ann"), (1, "files")]
    change = diff(await versions.get(FLOW, "survey", 1), await versions.get(FLOW, "survey", 2))
    assert "+  intro:" in change and change.startswith("--- survey v1\n+++ survey v2\n")

    v3 = await rollback_flow(**common, name="survey", to=1, author="admin:ann")
    assert v3.version == 3 and v3.text == original and v3.message == "rollback to version 1"
    assert (config / "flows" / "survey.yaml").read_text() == original
    assert "intro" not in catalog.flows["survey"].nodes
    audit = await AuditLog(sessions=store.session).entries(target="flow:survey")
    assert [(e.action, e.actor) for e in audit] == [
        ("flow.rollback", "admin:ann"),
        ("flow.publish", "admin:ann"),
        ("flow.seed", "files"),
    ]
    assert audit[0].changes["before"] == {"version": 2}
    assert audit[0].changes["after"]["version"] == 3


async def test_two_admins_on_the_same_version_one_is_told(
    store: TicketStore, config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    catalog, versions = load(config), VersionStore(sessions=store.session)
    await seed_all(catalog=catalog, versions=versions, redis=redis, keys=keys)
    common = {"catalog": catalog, "versions": versions, "redis": redis, "keys": keys}
    other = SURVEY_V2.replace("prompt: goodbye", "prompt: survey_thanks")
    results = await asyncio.gather(
        publish_flow(**common, name="survey", text=SURVEY_V2, author="a", message="a", base=1),
        publish_flow(**common, name="survey", text=other, author="b", message="b", base=1),
        return_exceptions=True,
    )
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in results if isinstance(r, BaseException)]
    assert len(won) == 1 and len(lost) == 1
    assert isinstance(lost[0], ConflictError)
    assert "changed under you" in str(lost[0])
    # Nothing lost: the winner is live, on disk and in the history; the loser may retry.
    assert (config / "flows" / "survey.yaml").read_text() == won[0].text
    assert [v.version for v in await versions.history(FLOW, "survey")] == [2, 1]


async def test_an_invalid_flow_changes_nothing(
    store: TicketStore, config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    catalog, versions = load(config), VersionStore(sessions=store.session)
    await seed_all(catalog=catalog, versions=versions, redis=redis, keys=keys)
    running = catalog.flows["survey"]
    broken = SURVEY_V2.replace("next: survey", "next: nowhere")
    with pytest.raises(FlowConfigError) as refused:
        await publish_flow(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            name="survey",
            text=broken,
            author="a",
            message="oops",
        )
    # The unknown target, and the survey node no caller reaches any more: line and node each.
    assert [(e.node, e.line) for e in refused.value.errors] == [("intro", 7), ("survey", 8)]
    assert catalog.flows["survey"] is running
    assert [v.version for v in await versions.history(FLOW, "survey")] == [1]


async def test_a_file_changed_by_hand_becomes_a_version_at_start(
    store: TicketStore, config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    versions = VersionStore(sessions=store.session)
    await seed_all(catalog=load(config), versions=versions, redis=redis, keys=keys)
    (config / "flows" / "survey.yaml").write_text(SURVEY_V2)
    catalog = load(config)
    await seed_all(catalog=catalog, versions=versions, redis=redis, keys=keys)
    latest = await versions.latest(FLOW, "survey")
    assert latest is not None and (latest.version, latest.author) == (2, "files")
    assert latest.message == "flows/survey.yaml changed on disk"
    assert catalog.live_versions["survey"] == 2


async def test_calls_keep_the_version_they_entered_in_every_process(
    settings: Settings, config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    store = await TicketStore.open(settings.database_url)
    try:
        versions = VersionStore(sessions=store.session)
        first, second = load(config), load(config)
        await seed_all(catalog=first, versions=versions, redis=redis, keys=keys)
        await second.reload_if_stale(redis, keys)
        in_menu = CallState(call_sid="CA1", flow="survey")
        source = FlowVersionSource(catalog=second, redis=redis, keys=keys)
        assert "intro" not in (await source.flows_for(in_menu))["survey"].nodes
        assert in_menu.flow_versions == {"survey": 1}
        await publish_flow(
            catalog=first,
            versions=versions,
            redis=redis,
            keys=keys,
            name="survey",
            text=SURVEY_V2,
            author="a",
            message="m",
        )
        # A fresh process that never had version 1 in memory still serves it to that call.
        third = load(config)
        await third.reload_if_stale(redis, keys)
        for process in (second, third):
            await process.reload_if_stale(redis, keys)
            pinned = FlowVersionSource(catalog=process, redis=redis, keys=keys)
            assert "intro" not in (await pinned.flows_for(in_menu))["survey"].nodes
            new_call = CallState(call_sid="CA2", flow="survey")
            assert "intro" in (await pinned.flows_for(new_call))["survey"].nodes
            assert new_call.flow_versions == {"survey": 2}
    finally:
        await store.close()
