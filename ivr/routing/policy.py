"""The routing policy (routing/policy.yaml) as validated pydantic models.

Every error names its place, e.g. ``routing/policy.yaml: queues.loans.min_level:
Input should be less than or equal to 5``, so an admin can fix the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ivr.errors import ConfigError
from ivr.ids import Emotion, Language, Topic

Strategy = Literal[
    "balanced", "longest_idle", "round_robin", "fewest_calls", "least_talk_time", "skill_first"
]
"""How a queue picks among the agents who can take a call."""

STRATEGIES: tuple[str, ...] = (
    "balanced",
    "longest_idle",
    "round_robin",
    "fewest_calls",
    "least_talk_time",
    "skill_first",
)

PRIORITY_MAX = 100
"""The highest caller priority; only an explicit rule `priority` reaches it."""

TRAIT_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Overflow(_Strict):
    """After `after_seconds` of waiting, accept agents down to `min_level`."""

    after_seconds: float = Field(gt=0)
    min_level: int = Field(ge=1, le=5)


class QueuePolicy(_Strict):
    """How callers about one topic are served."""

    skill: Topic
    min_level: int = Field(default=1, ge=1, le=5)
    strategy: Strategy | None = None
    priority: int = Field(default=0, ge=0, le=PRIORITY_MAX - 1)
    overflow: list[Overflow] = Field(default_factory=list)
    callback_after_seconds: float | None = Field(default=None, gt=0)
    max_wait_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _overflow_lowers_level(self) -> QueuePolicy:
        previous = self.min_level
        last_after = 0.0
        for i, step in enumerate(self.overflow):
            if step.after_seconds <= last_after:
                raise ValueError(f"overflow[{i}].after_seconds must increase")
            if step.min_level > previous:
                raise ValueError(f"overflow[{i}].min_level must not be above the level before it")
            previous, last_after = step.min_level, step.after_seconds
        return self


class EmotionRule(_Strict):
    """What an upset caller needs: a stronger agent or a trait, and a priority change.

    `min_level` with `or_trait`: agents at `min_level` or above, or with the trait at the
    queue's own level. `require_trait`: only agents with that trait. `relax_after_seconds`:
    after that much waiting the agent requirement is dropped (the priority stays).
    """

    emotions: list[Emotion] = Field(min_length=1)
    topics: list[Topic] = Field(default_factory=list, description="empty: every topic")
    min_intensity: float = Field(default=0.0, ge=0.0, le=1.0)
    min_level: int | None = Field(default=None, ge=1, le=5)
    or_trait: str | None = Field(default=None, pattern=TRAIT_PATTERN)
    require_trait: str | None = Field(default=None, pattern=TRAIT_PATTERN)
    priority_boost: int = Field(default=0, ge=0, le=PRIORITY_MAX)
    priority: int | None = Field(default=None, ge=0, le=PRIORITY_MAX)
    relax_after_seconds: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _trait_needs_level(self) -> EmotionRule:
        if self.or_trait and self.min_level is None:
            raise ValueError("or_trait needs min_level (the level the trait stands in for)")
        return self


class Balanced(_Strict):
    """The bank's `balanced` score: lower is better.

    ``score = load_weight * calls_today - level_weight * skill_level`` (ties: longest idle).
    With both weights 1, one skill level is worth one call already carried today.
    """

    level_weight: float = Field(default=1.0, ge=0.0)
    load_weight: float = Field(default=1.0, gt=0.0)


class Callbacks(_Strict):
    """When callbacks are due: the bank contacts an assigned customer within a week."""

    due_days: float = Field(default=7.0, gt=0, le=7.0)
    default_due_hours: float = Field(default=24.0, gt=0)
    # A caller who asks again joins their pending callback until this long past its due
    # time; after that the promise was missed, and a fresh booking (agent, time) is better.
    repeat_grace_hours: float = Field(default=2.0, ge=0, le=24)

    @model_validator(mode="after")
    def _default_within_limit(self) -> Callbacks:
        if self.default_due_hours > self.due_days * 24:
            raise ValueError("default_due_hours must be within due_days")
        return self


class Policy(_Strict):
    """The whole routing policy."""

    languages: list[Language] = Field(default_factory=lambda: list(Language), min_length=1)
    default_strategy: Strategy = "balanced"
    wrap_up_seconds: float = Field(default=30.0, ge=0)
    sticky_seconds: float = Field(default=120.0, ge=0)
    callback_after_seconds: float = Field(default=300.0, gt=0)
    max_wait_seconds: float = Field(default=900.0, gt=0)
    default_handle_seconds: float = Field(default=180.0, gt=0)
    balanced: Balanced = Field(default_factory=Balanced)
    callbacks: Callbacks = Field(default_factory=Callbacks)
    emotion_rules: list[EmotionRule] = Field(default_factory=list)
    queues: dict[Topic, QueuePolicy] = Field(default_factory=dict)

    def queue_for(self, topic: Topic) -> QueuePolicy:
        """The queue policy of `topic`; a topic without one uses its own skill at level 1."""
        return self.queues.get(topic) or QueuePolicy(skill=topic)

    def strategy_for(self, topic: Topic) -> str:
        """The strategy the queue of `topic` uses."""
        return self.queue_for(topic).strategy or self.default_strategy

    def skill_strategies(self) -> dict[str, str]:
        """Strategy per skill, as the Redis index stores it (a skill shared by queues: first)."""
        out: dict[str, str] = {}
        for topic in Topic:
            out.setdefault(self.queue_for(topic).skill.value, self.strategy_for(topic))
        return out


def _place(loc: tuple[int | str, ...]) -> str:
    # pydantic marks a bad mapping key with a trailing "[key]": the key itself is the place
    return ".".join(str(part) for part in loc if part != "[key]") or "(top)"


def parse_policy(data: object, *, source: str = "routing/policy.yaml") -> Policy:
    """Validate parsed YAML into a Policy; ConfigError lists every error with its place."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the policy must be a mapping")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source}: {_place(err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ConfigError("\n".join(lines)) from exc


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file (routing/policy.yaml)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the routing policy: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    return parse_policy(data, source=str(path))
