"""Coaching from the bank's manual: four calming steps, service language, urgent steps first.

The texts live in coaching.yaml per caller language; the console shows them in
the caller's language, since the agent speaks to the caller in it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel

from ivr.ids import Language, Topic

COACHING_FILE = Path(__file__).with_name("coaching.yaml")


class CalmingStep(BaseModel):
    """One calming step the agent ticks."""

    id: str
    text: str


class Phrasing(BaseModel):
    """A phrase the manual forbids and what to say instead."""

    avoid: str
    say: str


class Coaching(BaseModel):
    """The manual's coaching in one language."""

    calming: list[CalmingStep]
    service_language: list[Phrasing]
    urgent: dict[Topic, list[str]]


@cache
def coaching(language: Language) -> Coaching:
    """The coaching texts for callers speaking `language`."""
    raw = yaml.safe_load(COACHING_FILE.read_text(encoding="utf-8"))
    return Coaching.model_validate(raw[language.value])


CALMING_STEPS: tuple[str, ...] = tuple(s.id for s in coaching(Language.EN_US).calming)
