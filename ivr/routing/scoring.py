"""Pure routing logic: the strategy scores and what a caller needs right now.

The Redis index (ivr/routing/lua/common.lua) computes the same scores; this module
is the documented reference, the naive baseline of the benchmark, and is tested
against the index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ivr.ids import Emotion, Language, Topic
from ivr.routing.policy import PRIORITY_MAX, EmotionRule, Policy

# Idle time breaks ties: `since / TIE_SCALE` is below one unit of any integer score,
# and a smaller `since` (idle longer) scores lower, which is better.
TIE_SCALE = 1e10


def agent_score(
    strategy: str,
    *,
    level: int,
    calls_today: int,
    talk_seconds_today: float,
    since: float,
    seq: int,
    level_weight: float = 1.0,
    load_weight: float = 1.0,
) -> float:
    """The score of an available agent under `strategy`; the lowest score takes the call.

    - balanced: ``load_weight * calls_today - level_weight * level`` (the bank's rule:
      balance the customers carried today, weighed by ability), ties to the longest idle;
    - longest_idle: the time the agent became available;
    - round_robin: the sequence number of the agent's last call;
    - fewest_calls: calls today, ties to the longest idle;
    - least_talk_time: seconds talked today, ties to the longest idle;
    - skill_first: the highest level first, ties to the longest idle.
    """
    tie = since / TIE_SCALE
    if strategy == "longest_idle":
        return since
    if strategy == "round_robin":
        return float(seq)
    if strategy == "fewest_calls":
        return calls_today + tie
    if strategy == "least_talk_time":
        return talk_seconds_today + tie
    if strategy == "skill_first":
        return -level * TIE_SCALE + since
    return load_weight * calls_today - level_weight * level + tie


# How each strategy orders agents, as a supervisor reads it in a ticket's routing.
STRATEGY_RULES: dict[str, str] = {
    "balanced": "fewest calls today weighed by skill level, then longest idle",
    "longest_idle": "longest idle",
    "round_robin": "longest since their last call",
    "fewest_calls": "fewest calls today, then longest idle",
    "least_talk_time": "least talk time today, then longest idle",
    "skill_first": "highest skill level, then longest idle",
    "sticky": "the agent of the caller's open ticket",
}


def ranking_reason(strategy: str, rank: int, of: int) -> str:
    """Where an agent stood among those considered, in words: "ranked 1 of 3 by ..."."""
    return f"ranked {rank} of {of} by {STRATEGY_RULES.get(strategy, strategy)}"


def pool_id(skill: str, language: str, level: int, trait: str | None = None) -> str:
    """The id of one candidate pool: available agents of one skill, language and level."""
    base = f"{skill}:{language}:{level}"
    return f"{base}:t:{trait}" if trait else base


def agent_pools(skills: dict[str, int], languages: list[str], traits: list[str]) -> list[str]:
    """Every pool an available agent sits in."""
    pools: list[str] = []
    for skill, level in sorted(skills.items()):
        for language in languages:
            pools.append(pool_id(skill, language, level))
            pools.extend(pool_id(skill, language, level, trait) for trait in sorted(traits))
    return pools


def queue_name(topic: Topic | str, language: Language | str) -> str:
    """The waiting queue of a topic in a language (also the carrier's queue name)."""
    return f"{topic}.{language}"


def queue_score(priority: int, entered_at: float) -> float:
    """Order of waiting callers: the highest priority first, then the longest waiting."""
    return -priority * TIE_SCALE + entered_at


@dataclass(frozen=True, slots=True)
class Requirement:
    """What one caller needs at one moment: where to look, in which order to wait."""

    queue: str
    skill: str
    language: str
    strategy: str
    min_level: int
    priority: int
    pools: tuple[str, ...]
    offer_callback: bool = False
    past_max_wait: bool = False
    reasons: tuple[str, ...] = field(default_factory=tuple)


def _rule_applies(rule: EmotionRule, topic: Topic, emotion: Emotion, intensity: float) -> bool:
    if emotion not in rule.emotions:
        return False
    if rule.topics and topic not in rule.topics:
        return False
    return intensity >= rule.min_intensity


def _level_after_overflow(policy: Policy, topic: Topic, waited: float) -> tuple[int, str | None]:
    queue = policy.queue_for(topic)
    level, why = queue.min_level, None
    for step in queue.overflow:
        if waited >= step.after_seconds:
            level = step.min_level
            why = f"waited {waited:.0f}s >= {step.after_seconds:.0f}s: level {level} accepted"
    return level, why


def requirement(
    policy: Policy,
    *,
    topic: Topic,
    language: Language,
    emotion: Emotion,
    intensity: float,
    waited: float,
) -> Requirement:
    """What a caller about `topic` in `language` feeling `emotion` needs after `waited` s."""
    queue = policy.queue_for(topic)
    skill = queue.skill.value
    lang = language.value
    level, overflow_why = _level_after_overflow(policy, topic, waited)
    reasons = [f"topic {topic.value}: skill {skill} level >= {queue.min_level}, {lang}"]
    if overflow_why:
        reasons.append(overflow_why)
    priority = queue.priority
    pools = [pool_id(skill, lang, lv) for lv in range(level, 6)]
    for rule in policy.emotion_rules:
        if not _rule_applies(rule, topic, emotion, intensity):
            continue
        if rule.priority is not None:
            priority = max(priority, rule.priority)
            reasons.append(f"{emotion.value} about {topic.value}: priority {rule.priority}")
        elif rule.priority_boost:
            priority = min(PRIORITY_MAX - 1, priority + rule.priority_boost)
            reasons.append(f"{emotion.value}: priority +{rule.priority_boost}")
        if rule.relax_after_seconds is not None and waited >= rule.relax_after_seconds:
            reasons.append(f"{emotion.value}: waited {waited:.0f}s, any agent of the skill")
            break
        if rule.require_trait:
            pools = [pool_id(skill, lang, lv, rule.require_trait) for lv in range(level, 6)]
            reasons.append(f"{emotion.value}: an agent with {rule.require_trait}")
        elif rule.min_level is not None:
            strong = max(level, rule.min_level)
            pools = [pool_id(skill, lang, lv) for lv in range(strong, 6)]
            if rule.or_trait:
                pools += [pool_id(skill, lang, lv, rule.or_trait) for lv in range(level, strong)]
            alt = f" or {rule.or_trait}" if rule.or_trait else ""
            reasons.append(f"{emotion.value}: level >= {rule.min_level}{alt}")
        break  # the first matching rule decides who may take the call
    callback_after = queue.callback_after_seconds or policy.callback_after_seconds
    max_wait = queue.max_wait_seconds or policy.max_wait_seconds
    return Requirement(
        queue=queue_name(topic, lang),
        skill=skill,
        language=lang,
        strategy=policy.strategy_for(topic),
        min_level=level,
        priority=priority,
        pools=tuple(pools),
        offer_callback=waited >= callback_after,
        past_max_wait=waited >= max_wait,
        reasons=tuple(reasons),
    )
