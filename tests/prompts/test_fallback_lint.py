"""The linter also checks what callers hear when things go wrong: retry and fallback
prompts in both languages, the ones flows name, and the words said from code."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from ivr.cli import app
from ivr.config import PROJECT_DIR
from ivr.ids import Language
from ivr.prompts.fallback import LAST_WORDS, FallbackSay
from ivr.prompts.lint import lint
from ivr.prompts.loader import read_prompt_files
from tests.prompts.prompttext import write_prompts


def _problems(folder: Path, **kw: object) -> list[str]:
    catalog, errors = read_prompt_files(folder)
    assert catalog is not None, errors
    return [f"{e.language} {e.id}: {e.message}" for e in lint(catalog, **kw)]  # type: ignore[arg-type]


def test_a_fallback_prompt_that_says_cant_or_but_is_flagged(tmp_path: Path) -> None:
    write_prompts(
        tmp_path,
        en_US={"no_match": "Sorry, we can't find that option."},
        zh_CN={"didnt_catch": "我们听到了，但是没有听清楚。", "error_apology": "我们不能接通。"},
    )
    found = _problems(tmp_path)
    assert any(p.startswith("en-US no_match") and "can't" in p for p in found)
    assert any(p.startswith("zh-CN didnt_catch") and "但是" in p for p in found)
    assert any(p.startswith("zh-CN error_apology") and "不能" in p for p in found)


def test_the_words_said_from_code_are_linted_in_every_language(tmp_path: Path) -> None:
    write_prompts(tmp_path)
    spoiled = {
        Language.EN_US: FallbackSay("We can't reach anyone right now.", "alice", "en-US"),
        Language.ZH_CN: FallbackSay("请稍候，但是可能要等很久。", "Polly.Zhiyu", "cmn-CN"),
    }
    found = _problems(tmp_path, fallbacks=spoiled)
    assert any(p.startswith("en-US fallback") and "can't" in p for p in found)
    assert any(p.startswith("zh-CN fallback") and "但是" in p for p in found)
    english_only = {Language.EN_US: LAST_WORDS[Language.EN_US]}
    assert any(p.startswith("zh-CN fallback") for p in _problems(tmp_path, fallbacks=english_only))
    assert _problems(tmp_path) == []  # the service's own fallback words pass


def test_a_retry_prompt_a_flow_names_must_exist_in_both_languages(tmp_path: Path) -> None:
    for part in ("flows", "prompts"):
        shutil.copytree(PROJECT_DIR / part, tmp_path / part)
    main = tmp_path / "flows" / "main.yaml"
    flow = yaml.safe_load(main.read_text())
    flow["nodes"]["after_hours"]["no_match"] = "after_hours_retry"
    main.write_text(yaml.safe_dump(flow, allow_unicode=True))
    english = tmp_path / "prompts" / "en-US.yaml"
    doc = yaml.safe_load(english.read_text())
    doc["prompts"]["after_hours_retry"] = "Let's try once more."
    english.write_text(yaml.safe_dump(doc, allow_unicode=True))
    result = CliRunner().invoke(app, ["prompts", "lint", str(tmp_path / "prompts")])
    assert result.exit_code == 1
    assert "after_hours_retry" in result.output and "main/after_hours no_match" in result.output
