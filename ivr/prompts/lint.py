"""The bank's service language, enforced on every prompt in every language.

Prompts say what we can do. Phrases of refusal ("I can't", "that's not my
job", 不能, 我做不了 ...) and "but" (但是) are not allowed; every id exists in
every language with the same placeholders; the engine's own prompts exist;
a `.calm` variant belongs to an id that exists.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Iterator, Mapping

from ivr.ids import Language
from ivr.prompts import fallback
from ivr.prompts.fallback import FallbackSay
from ivr.prompts.loader import LintError
from ivr.prompts.model import CALM_SUFFIX, ENGINE_PROMPTS, PromptCatalog, PromptSet

__all__ = ["ENGINE_PLACEHOLDERS", "FORBIDDEN", "LintError", "forbidden_phrases", "lint"]

# Any apostrophe a writer or a word processor may use.
_APOS = "['’‘ʼ`´]"

# (pattern, what the bank's manual calls it). Word boundaries keep "button" and "butter" fine.
FORBIDDEN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (rf"\bI\s+don{_APOS}?t\s+think\s+I\s+can\b", "I don't think I can"),
        (r"\bI\s+do\s+not\s+think\s+I\s+can\b", "I don't think I can"),
        (rf"\bthat{_APOS}?s\s+not\s+(?:my|our)\s+job\b", "that's not my job"),
        (r"\bthat\s+is\s+not\s+(?:my|our)\s+job\b", "that's not my job"),
        (r"\bnot\s+(?:my|our)\s+job\b", "that's not my job"),
        (rf"\bcan{_APOS}t\b", "can't"),
        (r"\bcan\s*not\b", "cannot"),
        (rf"\b(?:I|we)\s+won{_APOS}t\b", "I won't"),
        (r"\b(?:I|we)\s+will\s+not\b", "I won't"),
        (r"\bbut\b", "but"),
        ("不能", "不能"),
        ("不[會会]", "不会"),
        ("不是我[應应][該该]做的", "不是我应该做的"),
        ("我做不了", "我做不了"),
        ("但是", "但是"),
    )
)

# The placeholders the engine fills, per prompt id; any other id is played as written.
ENGINE_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "queue_position": frozenset({"position", "minutes"}),
    "callback_booked": frozenset({"when"}),
    "heard_confirm": frozenset({"words"}),
}


def forbidden_phrases(text: str) -> list[str]:
    """The forbidden phrases `text` uses, as the manual names them (each once)."""
    found: list[str] = []
    for pattern, name in FORBIDDEN:
        if pattern.search(text) and name not in found:
            found.append(name)
    return found


def placeholders(text: str) -> frozenset[str]:
    """The `{name}` placeholders in `text`; ValueError when its braces are unbalanced."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None:
            names.add(field)
    return frozenset(names)


def _base_id(prompt_id: str) -> str:
    return prompt_id.removesuffix(CALM_SUFFIX)


class _Findings:
    def __init__(self) -> None:
        self.errors: list[LintError] = []

    def add(self, prompt_set: PromptSet, prompt_id: str | None, message: str) -> None:
        self.errors.append(
            LintError(
                file=prompt_set.source or f"prompts/{prompt_set.language}.yaml",
                language=str(prompt_set.language),
                id=prompt_id,
                line=prompt_set.lines.get(prompt_id, 1) if prompt_id else 1,
                message=message,
            )
        )


def lint(
    catalog: PromptCatalog,
    *,
    fallbacks: Mapping[Language, FallbackSay] | None = None,
    retry_prompts: Iterable[tuple[str, str]] = (),
) -> list[LintError]:
    """Every service-language and consistency problem in `catalog`, and in what callers
    hear when things go wrong: the fallback said from code (`fallbacks`, default: the
    service's own), and the retry and fallback prompts flows name (`retry_prompts`:
    (where, prompt id), e.g. ("main/after_hours no_match", "no_match")), in every language.
    """
    found = _Findings()
    found.errors.extend(_fallback_problems(fallback.LAST_WORDS if fallbacks is None else fallbacks))
    found.errors.extend(_retry_problems(catalog, retry_prompts))
    all_ids = sorted({pid for s in catalog.sets.values() for pid in s.prompts})
    for prompt_set in catalog.sets.values():
        for prompt_id, text in prompt_set.prompts.items():
            for message in _text_problems(prompt_id, text, prompt_set):
                found.add(prompt_set, prompt_id, message)
        for prompt_id in ENGINE_PROMPTS:
            if prompt_id not in prompt_set.prompts:
                found.add(prompt_set, prompt_id, f"the engine's prompt '{prompt_id}' is missing")
        for prompt_id in all_ids:
            if prompt_id not in prompt_set.prompts:
                others = [str(s.language) for s in catalog.sets.values() if prompt_id in s.prompts]
                found.add(
                    prompt_set,
                    prompt_id,
                    f"'{prompt_id}' is missing here (present in {', '.join(others)})",
                )
    for problem in _placeholder_mismatches(catalog, all_ids):
        found.errors.append(problem)
    return found.errors


def _fallback_problems(fallbacks: Mapping[Language, FallbackSay]) -> Iterator[LintError]:
    """The words said from code when even the prompts are unreadable, like any prompt."""
    for language in Language:
        said = fallbacks.get(language)
        if said is None:
            yield LintError(
                file=fallback.SOURCE,
                language=str(language),
                id="fallback",
                line=1,
                message=f"no fallback words in {language}: that caller would hear another language",
            )
            continue
        for phrase in forbidden_phrases(said.text):
            yield LintError(
                file=fallback.SOURCE,
                language=str(language),
                id="fallback",
                line=1,
                message=f"the fallback uses {phrase!r}: say what we can do instead",
            )


def _retry_problems(
    catalog: PromptCatalog, retry_prompts: Iterable[tuple[str, str]]
) -> Iterator[LintError]:
    """A retry or fallback prompt a flow names must exist in every language."""
    for where, prompt_id in retry_prompts:
        for prompt_set in catalog.sets.values():
            if prompt_id not in prompt_set.prompts:
                yield LintError(
                    file=prompt_set.source or f"prompts/{prompt_set.language}.yaml",
                    language=str(prompt_set.language),
                    id=prompt_id,
                    line=1,
                    message=f"'{prompt_id}', played at {where} when a caller is not understood, "
                    "is missing here",
                )


def _text_problems(prompt_id: str, text: str, prompt_set: PromptSet) -> Iterator[str]:
    if not text.strip():
        yield "the text is empty"
    for phrase in forbidden_phrases(text):
        yield f"uses {phrase!r}: say what we can do instead"
    base = _base_id(prompt_id)
    if base != prompt_id and base not in prompt_set.prompts:
        yield f"a calming variant of '{base}', which does not exist"
    try:
        names = placeholders(text)
    except ValueError as exc:
        yield f"unbalanced braces: {exc} (write {{{{ and }}}} for literal braces)"
        return
    allowed = ENGINE_PLACEHOLDERS.get(base, frozenset())
    for name in sorted(names - allowed):
        yield f"placeholder {{{name}}} is never filled here" + (
            f" (allowed: {', '.join(sorted(allowed))})" if allowed else ""
        )
    for name in sorted(allowed - names):
        yield f"placeholder {{{name}}} is missing"


def _placeholder_mismatches(catalog: PromptCatalog, all_ids: list[str]) -> Iterator[LintError]:
    """Placeholders that differ between the languages of one id."""
    sets = list(catalog.sets.values())
    for prompt_id in all_ids:
        seen: dict[str, frozenset[str]] = {}
        for prompt_set in sets:
            text = prompt_set.prompts.get(prompt_id)
            if text is None:
                continue
            try:
                seen[str(prompt_set.language)] = placeholders(text)
            except ValueError:
                continue
        if len(set(seen.values())) <= 1:
            continue
        summary = "; ".join(
            f"{lang}: {', '.join(sorted(names)) or 'none'}" for lang, names in seen.items()
        )
        for prompt_set in sets:
            if prompt_id in prompt_set.prompts:
                yield LintError(
                    file=prompt_set.source or f"prompts/{prompt_set.language}.yaml",
                    language=str(prompt_set.language),
                    id=prompt_id,
                    line=prompt_set.lines.get(prompt_id),
                    message=f"placeholders differ between languages ({summary})",
                )
