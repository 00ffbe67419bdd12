"""FlowCatalog: validated edits written atomically, other processes reload, last good kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError, NotFoundError
from ivr.flows.catalog import FlowCatalog
from ivr.flows.model import SayNode
from ivr.keys import Keys

SURVEY_EDIT = """\
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
def config(tmp_path: Path) -> Path:
    """A copy of the shipped flows and prompts this test may change."""
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / part)
    return tmp_path


def load(config: Path) -> FlowCatalog:
    return FlowCatalog.load(flows_dir=config / "flows", prompts_dir=config / "prompts")


def test_loads_the_flows_and_prompts(config: Path) -> None:
    catalog = load(config)
    assert catalog.names() == ["cards", "main", "survey"]
    assert catalog.get("main").start == "language"
    assert catalog.flows["survey"] is catalog.get("survey")
    assert catalog.prompts.has("goodbye", "zh-CN")  # type: ignore[arg-type]
    with pytest.raises(NotFoundError):
        catalog.get("nope")


def test_a_valid_edit_is_written_and_swapped_in(config: Path) -> None:
    catalog = load(config)
    assert catalog.update("survey", SURVEY_EDIT) == []
    assert isinstance(catalog.get("survey").node("intro"), SayNode)
    assert (config / "flows" / "survey.yaml").read_text() == SURVEY_EDIT
    assert catalog.text("survey") == SURVEY_EDIT
    assert not [p for p in (config / "flows").iterdir() if p.suffix == ".tmp"]


def test_an_invalid_edit_changes_nothing(config: Path) -> None:
    catalog = load(config)
    before = (config / "flows" / "survey.yaml").read_text()
    running = catalog.get("survey")
    errors = catalog.update("survey", SURVEY_EDIT.replace("next: survey", "next: nowhere"))
    assert [(e.message, e.line) for e in errors] == [
        ("'next' leads to unknown node 'nowhere'", 7),
        ("unreachable: no path from the start node 'intro'", 8),
    ]
    assert catalog.get("survey") is running
    assert (config / "flows" / "survey.yaml").read_text() == before


def test_an_edit_is_checked_against_the_other_flows(config: Path) -> None:
    catalog = load(config)
    # main runs the "cards" sub-flow; a cards flow without its nodes breaks nothing else,
    # but removing the prompt a node plays does.
    errors = catalog.update(
        "cards",
        "name: cards\nstart: a\nnodes:\n  a:\n    type: say\n"
        "    prompt: no_such_prompt\n    next: b\n  b:\n    type: return\n",
    )
    assert {e.message for e in errors} == {"prompt 'no_such_prompt' is missing in en-US, zh-CN"}


def test_a_bad_flow_name_is_refused(config: Path) -> None:
    catalog = load(config)
    errors = catalog.update("../escape", SURVEY_EDIT)
    assert errors and "flow name" in errors[0].message
    assert not (config / "escape.yaml").exists()


def test_a_new_flow_can_be_added(config: Path) -> None:
    catalog = load(config)
    assert catalog.update("extra", SURVEY_EDIT.replace("name: survey", "name: extra")) == []
    assert "extra" in catalog.names()
    assert (config / "flows" / "extra.yaml").exists()


def test_a_file_turning_invalid_on_disk_keeps_the_last_good(config: Path) -> None:
    catalog = load(config)
    running = catalog.get("main")
    path = config / "flows" / "main.yaml"
    path.write_text(path.read_text().replace("next: hours", "next: nowhere"))
    errors = catalog.reload()
    assert any(e.flow == "main" and "nowhere" in e.message for e in errors)
    assert catalog.get("main") is running
    # A YAML error too.
    path.write_text("name: main\nnodes: [\n")
    assert catalog.reload()
    assert catalog.get("main") is running


def test_invalid_prompts_on_disk_keep_the_last_good(config: Path) -> None:
    catalog = load(config)
    prompts = catalog.prompts
    path = config / "prompts" / "en-US.yaml"
    path.write_text(path.read_text().replace("Goodbye.", "Goodbye, but not yet."))
    catalog.reload()
    assert catalog.prompts is prompts


def test_load_refuses_invalid_files_naming_every_error(config: Path) -> None:
    path = config / "flows" / "main.yaml"
    path.write_text(path.read_text().replace("next: hours", "next: nowhere"))
    (config / "flows" / "survey.yaml").write_text("name: survey\nstart: x\nnodes: {}\n")
    with pytest.raises(ConfigError) as raised:
        load(config)
    text = str(raised.value)
    assert "main.yaml" in text and "nowhere" in text and "survey.yaml" in text


def test_load_refuses_prompts_that_fail_the_lint(config: Path) -> None:
    path = config / "prompts" / "zh-CN.yaml"
    path.write_text(path.read_text().replace("感谢您的来电，再见。", "我们不能帮您，再见。"))
    with pytest.raises(ConfigError, match="不能"):
        load(config)


async def test_another_process_reloads_after_a_change(
    config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    first, second = load(config), load(config)
    # A process's first call always reloads; after that only a published change does.
    assert await second.reload_if_stale(redis, keys)
    assert not await second.reload_if_stale(redis, keys)
    assert await first.save("survey", SURVEY_EDIT, redis=redis, keys=keys) == []
    assert await second.reload_if_stale(redis, keys)
    assert "intro" in second.get("survey").nodes
    assert not await second.reload_if_stale(redis, keys)
    # The process that saved does not reload its own change.
    assert not await first.reload_if_stale(redis, keys)


async def test_an_invalid_save_publishes_nothing(
    config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    catalog = load(config)
    errors = await catalog.save("survey", "nodes: [", redis=redis, keys=keys)
    assert errors and errors[0].message.startswith("not YAML")
    assert await redis.get(keys.flows_version()) is None


async def test_two_processes_saving_at_once_both_end_with_both_changes(
    config: Path, redis: aioredis.Redis, keys: Keys
) -> None:
    first, second = load(config), load(config)
    await first.reload_if_stale(redis, keys)
    await second.reload_if_stale(redis, keys)
    extra = SURVEY_EDIT.replace("name: survey", "name: extra")
    assert await first.save("survey", SURVEY_EDIT, redis=redis, keys=keys) == []
    # The second process saves before its next call would have reloaded.
    assert await second.save("extra", extra, redis=redis, keys=keys) == []
    assert "intro" in second.get("survey").nodes
    assert await first.reload_if_stale(redis, keys)
    assert "extra" in first.names()
