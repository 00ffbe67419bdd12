"""The routing policy file: the shipped one loads; every mistake names its place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ivr.config import PROJECT_DIR
from ivr.errors import ConfigError
from ivr.ids import Topic
from ivr.routing.policy import Policy, load_policy, parse_policy


def test_shipped_policy_loads_with_a_queue_per_topic() -> None:
    policy = load_policy(PROJECT_DIR / "routing" / "policy.yaml")
    assert set(policy.queues) == set(Topic)
    assert policy.callbacks.due_days <= 7
    assert policy.strategy_for(Topic.LOST_STOLEN_CARD) == "longest_idle"
    assert set(policy.skill_strategies().values()) == {
        "balanced",
        "longest_idle",
        "round_robin",
        "fewest_calls",
        "least_talk_time",
        "skill_first",
    }


def _error(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        parse_policy(data, source="routing/policy.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("data", "place"),
    [
        ({"queues": {"yachts": {"skill": "loans"}}}, "queues.yachts"),
        ({"queues": {"loans": {"skill": "yachts"}}}, "queues.loans.skill"),
        ({"queues": {"loans": {"skill": "loans", "min_level": 6}}}, "queues.loans.min_level"),
        ({"queues": {"loans": {"skill": "loans", "min_level": 0}}}, "queues.loans.min_level"),
        ({"languages": ["en-US", "fr-FR"]}, "languages.1"),
        ({"queues": {"loans": {"skill": "loans", "strategy": "random"}}}, "queues.loans.strategy"),
        ({"emotion_rules": [{"emotions": ["bored"]}]}, "emotion_rules.0.emotions.0"),
        (
            {"emotion_rules": [{"emotions": ["sad"], "topics": ["yachts"]}]},
            "emotion_rules.0.topics.0",
        ),
        ({"emotion_rules": [{"emotions": ["angry"], "min_level": 9}]}, "emotion_rules.0.min_level"),
        ({"callbacks": {"due_days": 8}}, "callbacks.due_days"),
        ({"wrap_up": 30}, "wrap_up"),
    ],
)
def test_errors_name_their_place(data: dict[str, Any], place: str) -> None:
    message = _error(data)
    assert message.startswith("routing/policy.yaml: ")
    assert f": {place}: " in message


def test_overflow_must_lower_the_level_over_time() -> None:
    message = _error(
        {
            "queues": {
                "loans": {
                    "skill": "loans",
                    "min_level": 2,
                    "overflow": [{"after_seconds": 30, "min_level": 3}],
                }
            }
        }
    )
    assert "queues.loans" in message and "min_level must not be above" in message


def test_or_trait_needs_a_level() -> None:
    assert "or_trait needs min_level" in _error(
        {"emotion_rules": [{"emotions": ["angry"], "or_trait": "de_escalation"}]}
    )


def test_unreadable_or_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_policy(tmp_path / "missing.yaml")
    broken = tmp_path / "policy.yaml"
    broken.write_text("queues: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_policy(broken)
    broken.write_text("- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_policy(broken)


def test_empty_policy_has_safe_defaults() -> None:
    policy = parse_policy(None)
    assert isinstance(policy, Policy)
    assert policy.queue_for(Topic.LOANS).min_level == 1
    assert policy.default_strategy == "balanced"
