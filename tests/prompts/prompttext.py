"""Helpers for prompt tests: write prompt files that pass, then spoil one thing."""

from __future__ import annotations

from pathlib import Path

import yaml

from ivr.prompts.model import ENGINE_PROMPTS

SAY = {
    "en-US": {"voice": "Polly.Joanna", "language": "en-US"},
    "zh-CN": {"voice": "Polly.Zhiyu", "language": "cmn-CN"},
}
GATHER = {"en-US": "en-US", "zh-CN": "cmn-Hans-CN"}
FILLED = {
    "queue_position": "{position} {minutes}",
    "callback_booked": "{when}",
    "heard_confirm": "{words}",
}


def good_prompts(language: str) -> dict[str, str]:
    """Every engine prompt with a harmless text (and the placeholders the engine fills)."""
    return {pid: FILLED.get(pid, f"{pid} in {language}.") for pid in ENGINE_PROMPTS}


def write_prompts(folder: Path, **overrides: dict[str, str | None]) -> dict[str, Path]:
    """Write en-US and zh-CN prompt files; overrides set (or, with None, drop) ids per language."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for language in ("en-US", "zh-CN"):
        prompts = good_prompts(language)
        for pid, text in overrides.get(language.replace("-", "_"), {}).items():
            if text is None:
                prompts.pop(pid, None)
            else:
                prompts[pid] = text
        doc = {
            "language": language,
            "say": SAY[language],
            "gather_language": GATHER[language],
            "prompts": prompts,
        }
        path = folder / f"{language}.yaml"
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths[language] = path
    return paths


def line_in(path: Path, needle: str) -> int:
    """The 1-based line of `path` holding `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
