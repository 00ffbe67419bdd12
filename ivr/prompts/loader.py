"""Read `prompts/<language>.yaml` into a `PromptCatalog`, keeping the line of every id."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from ivr.errors import ProblemsError, placed
from ivr.prompts.model import PromptCatalog, PromptSet
from ivr.yaml_lines import YamlDocument, parse_yaml


class LintError(BaseModel):
    """One problem in a prompt file, with its place."""

    model_config = ConfigDict(frozen=True)

    file: str
    language: str | None = None
    id: str | None = None
    line: int | None = None
    message: str

    def __str__(self) -> str:
        return placed(self.file, self.line, (self.language, self.id), self.message)


class PromptConfigError(ProblemsError):
    """Prompt files that cannot be used; `errors` lists every problem."""

    def __init__(self, errors: Iterable[LintError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors, what="prompts")


def parse_prompt_set(text: str, *, source: str) -> tuple[PromptSet | None, list[LintError]]:
    """Parse one language's prompt file; the set (None when unusable) and every problem."""
    try:
        doc = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [LintError(file=source, line=line, message=f"not YAML: {problem}")]
    if not isinstance(doc.data, dict):
        return None, [LintError(file=source, line=1, message="a prompt file is a mapping")]
    language = str(doc.data.get("language", "")) or None
    errors = [
        LintError(
            file=source,
            language=language,
            id=key if path == ("prompts",) else None,
            line=line,
            message=f"'{key}' is given twice (first on line {first})",
        )
        for path, key, line, first in doc.duplicates
    ]
    for key in ("lines", "source"):
        if key in doc.data:
            errors.append(_error(doc, source, language, (key,), f"unknown field '{key}'"))
    fields = {k: v for k, v in doc.data.items() if k not in ("lines", "source")}
    try:
        prompt_set = PromptSet.model_validate(fields)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(str(part) for part in error["loc"])
            errors.append(_error(doc, source, language, loc, f"{'.'.join(loc)}: {error['msg']}"))
        return None, errors
    lines = {
        path[1]: line for path, line in doc.lines.items() if len(path) == 2 and path[0] == "prompts"
    }
    return prompt_set.model_copy(update={"lines": lines, "source": source}), errors


def _error(
    doc: YamlDocument, source: str, language: str | None, loc: tuple[str, ...], message: str
) -> LintError:
    prompt_id = loc[1] if len(loc) >= 2 and loc[0] == "prompts" else None
    line = None
    for end in range(len(loc), 0, -1):
        line = doc.lines.get(loc[:end])
        if line is not None:
            break
    return LintError(file=source, language=language, id=prompt_id, line=line, message=message)


def read_prompt_files(directory: Path) -> tuple[PromptCatalog | None, list[LintError]]:
    """The catalogue of every usable language in `directory`, and every problem found."""
    sets: dict[str, PromptSet] = {}  # language id -> its prompts
    errors: list[LintError] = []
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(LintError(file=str(path), message=f"unreadable: {exc}"))
            continue
        prompt_set, problems = parse_prompt_set(text, source=str(path))
        errors.extend(problems)
        if prompt_set is None:
            continue
        language = str(prompt_set.language)
        message = None
        if path.stem != language:
            message = f"the file of language '{language}' must be named {language}.yaml"
        elif language in sets:
            message = "this language is given twice"
        if message is not None:
            errors.append(LintError(file=str(path), language=language, line=1, message=message))
        else:
            sets[language] = prompt_set
    if not paths:
        errors.append(LintError(file=str(directory), message="no prompt files (*.yaml) found"))
    return (PromptCatalog.model_validate({"sets": sets}) if sets else None), errors


def load_prompts(directory: Path) -> PromptCatalog:
    """The prompt catalogue in `directory`; PromptConfigError (a ConfigError) lists every problem.

    This checks that the files can be read; `ivr.prompts.lint.lint` checks what they say.
    """
    catalog, errors = read_prompt_files(directory)
    if errors or catalog is None:
        raise PromptConfigError(errors)
    return catalog
