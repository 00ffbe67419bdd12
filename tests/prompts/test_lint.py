"""The service-language linter: forbidden phrases in both languages, and consistency."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ivr.cli import flows as flows_cli
from ivr.config import PROJECT_DIR
from ivr.prompts.lint import LintError, forbidden_phrases, lint
from ivr.prompts.loader import load_prompts, read_prompt_files
from tests.prompts.prompttext import line_in, write_prompts


def lint_dir(folder: Path) -> list[LintError]:
    catalog, errors = read_prompt_files(folder)
    assert catalog is not None, errors
    return errors + lint(catalog)


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("I can't do that.", "can't"),
        ("Sorry, we can’t change it.", "can't"),
        ("We CAN'T.", "can't"),
        ("This cannot be changed.", "cannot"),
        ("We can not help.", "cannot"),
        ("I won't transfer you.", "I won't"),
        ("I won’t do it.", "I won't"),
        ("That's not my job.", "that's not my job"),
        ("that’s NOT my job", "that's not my job"),
        ("I don't think I can help.", "I don't think I can"),
        ("I don’t think I can.", "I don't think I can"),
        ("But there is more.", "but"),
        ("Press 1, but wait.", "but"),
        ("我们不能为您办理。", "不能"),
        ("這不會成功。", "不会"),
        ("这不会成功。", "不会"),
        ("不是我應該做的。", "不是我应该做的"),
        ("不是我应该做的。", "不是我应该做的"),
        ("我做不了。", "我做不了"),
        ("但是您需要等待。", "但是"),
    ],
)
def test_every_forbidden_phrase_is_caught(text: str, phrase: str) -> None:
    assert phrase in forbidden_phrases(text)


@pytest.mark.parametrize(
    "text",
    [
        "Press the pound button.",
        "Butter, buttons and rebuttals.",
        "We can help you right away.",
        "Cantonese service is available.",
        "Please contribute your feedback.",
        "我们能帮您办理。",
        "不错，请按1。",
    ],
)
def test_fine_words_are_not_flagged(text: str) -> None:
    assert forbidden_phrases(text) == []


def test_clean_files_pass(tmp_path: Path) -> None:
    write_prompts(tmp_path)
    assert lint_dir(tmp_path) == []


def test_a_forbidden_phrase_names_file_id_and_line(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path, zh_CN={"goodbye": "但是再见。"})
    (problem,) = lint_dir(tmp_path)
    assert problem.file == str(paths["zh-CN"])
    assert (problem.language, problem.id) == ("zh-CN", "goodbye")
    assert problem.line == line_in(paths["zh-CN"], "goodbye:")
    assert "但是" in problem.message


def test_an_id_missing_in_one_language(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path, en_US={"main_menu": "Press 1."})
    (problem,) = lint_dir(tmp_path)
    assert problem.file == str(paths["zh-CN"])
    assert problem.id == "main_menu"
    assert "missing here (present in en-US)" in problem.message


def test_an_engine_prompt_missing_everywhere(tmp_path: Path) -> None:
    write_prompts(tmp_path, en_US={"goodbye": None}, zh_CN={"goodbye": None})
    found = lint_dir(tmp_path)
    assert {(p.language, p.id) for p in found} == {("en-US", "goodbye"), ("zh-CN", "goodbye")}
    assert all("the engine's prompt 'goodbye' is missing" in p.message for p in found)


def test_engine_placeholders_must_be_there(tmp_path: Path) -> None:
    write_prompts(
        tmp_path,
        en_US={"queue_position": "You are number {position}."},
        zh_CN={"queue_position": "您排在第{position}位。"},
    )
    found = lint_dir(tmp_path)
    assert len(found) == 2
    assert all("placeholder {minutes} is missing" in p.message for p in found)


def test_unknown_placeholders_are_caught(tmp_path: Path) -> None:
    write_prompts(tmp_path, en_US={"goodbye": "Goodbye {name}."}, zh_CN={"goodbye": "再见{name}。"})
    found = lint_dir(tmp_path)
    assert len(found) == 2
    assert all("placeholder {name} is never filled" in p.message for p in found)


def test_placeholders_must_agree_across_languages(tmp_path: Path) -> None:
    write_prompts(tmp_path, zh_CN={"callback_booked": "已预约，时间为{time}。"})
    found = lint_dir(tmp_path)
    mismatch = [p for p in found if "differ between languages" in p.message]
    assert {p.language for p in mismatch} == {"en-US", "zh-CN"}


def test_unbalanced_braces(tmp_path: Path) -> None:
    write_prompts(tmp_path, en_US={"goodbye": "Goodbye {."})
    (problem,) = lint_dir(tmp_path)
    assert problem.message.startswith("unbalanced braces")


def test_calm_variant_of_a_missing_id(tmp_path: Path) -> None:
    write_prompts(
        tmp_path,
        en_US={"nothing.calm": "We understand."},
        zh_CN={"nothing.calm": "我们理解。"},
    )
    found = lint_dir(tmp_path)
    assert len(found) == 2
    assert all("calming variant of 'nothing'" in p.message for p in found)


def test_calm_variants_keep_the_placeholders(tmp_path: Path) -> None:
    write_prompts(
        tmp_path,
        en_US={"queue_position.calm": "We understand. You are number {position}."},
        zh_CN={"queue_position.calm": "我们理解。您排在第{position}位，约{minutes}分钟。"},
    )
    found = lint_dir(tmp_path)
    assert any(p.language == "en-US" and "{minutes} is missing" in p.message for p in found)


def test_empty_text(tmp_path: Path) -> None:
    write_prompts(tmp_path, en_US={"goodbye": "  "})
    (problem,) = lint_dir(tmp_path)
    assert problem.message == "the text is empty"


def test_the_shipped_prompts_pass() -> None:
    assert lint(load_prompts(PROJECT_DIR / "prompts")) == []


def test_the_command_fails_naming_file_id_and_line(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path, en_US={"goodbye": "I can't say goodbye."})
    app = typer.Typer()
    flows_cli.register(app)
    result = CliRunner().invoke(app, ["prompts", "lint", str(tmp_path)])
    assert result.exit_code == 1
    line = line_in(paths["en-US"], "goodbye:")
    assert f'{paths["en-US"]}:{line}: en-US/goodbye: uses "can\'t"' in result.output
    ok = CliRunner().invoke(app, ["prompts", "lint", str(PROJECT_DIR / "prompts")])
    assert ok.exit_code == 0, ok.output
