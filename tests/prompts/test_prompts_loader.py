"""The prompt loader: one file per language, lines per id, every problem at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ConfigError
from ivr.ids import Language
from ivr.prompts.loader import PromptConfigError, load_prompts, read_prompt_files
from tests.prompts.prompttext import line_in, write_prompts


def test_loads_both_languages_with_lines(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path)
    catalog = load_prompts(tmp_path)
    assert set(catalog.sets) == {Language.EN_US, Language.ZH_CN}
    zh = catalog.sets[Language.ZH_CN]
    assert zh.say.voice == "Polly.Zhiyu" and zh.gather_language == "cmn-Hans-CN"
    assert zh.source == str(paths["zh-CN"])
    assert zh.lines["goodbye"] == line_in(paths["zh-CN"], "goodbye:")
    assert catalog.text("queue_position", Language.EN_US, position=2, minutes=3) == "2 3"


def test_a_repeated_id_is_an_error(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path)
    path = paths["en-US"]
    path.write_text(path.read_text() + "  goodbye: Bye again.\n", encoding="utf-8")
    with pytest.raises(PromptConfigError) as raised:
        load_prompts(tmp_path)
    (problem,) = raised.value.errors
    assert problem.id == "goodbye"
    assert problem.line == len(path.read_text().splitlines())
    assert "given twice" in problem.message


def test_a_file_named_after_another_language(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path)
    paths["zh-CN"].rename(tmp_path / "fr-FR.yaml")
    _, errors = read_prompt_files(tmp_path)
    (problem,) = errors
    assert "must be named zh-CN.yaml" in problem.message


def test_bad_fields_name_their_line(tmp_path: Path) -> None:
    paths = write_prompts(tmp_path)
    path = paths["en-US"]
    path.write_text(path.read_text().replace("voice: Polly.Joanna", "voyce: Polly.Joanna"))
    with pytest.raises(ConfigError) as raised:
        load_prompts(tmp_path)
    assert isinstance(raised.value, PromptConfigError)
    lines = {p.line for p in raised.value.errors}
    assert line_in(path, "voyce") in lines


def test_an_unknown_language(tmp_path: Path) -> None:
    write_prompts(tmp_path)
    (tmp_path / "fr-FR.yaml").write_text("language: fr-FR\nsay: {voice: a, language: fr}\n")
    _, errors = read_prompt_files(tmp_path)
    assert any(p.file.endswith("fr-FR.yaml") for p in errors)


def test_an_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(PromptConfigError, match="no prompt files"):
        load_prompts(tmp_path)
