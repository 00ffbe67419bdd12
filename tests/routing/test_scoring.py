"""Pure routing logic: the documented scores and what a caller needs, without Redis."""

from __future__ import annotations

from ivr.ids import Emotion, Language, Topic
from ivr.routing.policy import parse_policy
from ivr.routing.scoring import agent_pools, agent_score, queue_score, requirement

POLICY = parse_policy(
    {
        "callback_after_seconds": 100,
        "max_wait_seconds": 300,
        "emotion_rules": [
            {"emotions": ["anxious"], "topics": ["fraud_dispute"], "priority": 100},
            {
                "emotions": ["angry"],
                "min_level": 4,
                "or_trait": "de_escalation",
                "priority_boost": 20,
            },
            {"emotions": ["sad"], "require_trait": "de_escalation", "relax_after_seconds": 60},
        ],
        "queues": {
            "loans": {
                "skill": "loans",
                "min_level": 3,
                "priority": 5,
                "overflow": [
                    {"after_seconds": 30, "min_level": 2},
                    {"after_seconds": 90, "min_level": 1},
                ],
            },
            "fraud_dispute": {"skill": "fraud_dispute", "priority": 40},
        },
    }
)


def _need(topic: Topic = Topic.LOANS, emotion: Emotion = Emotion.NEUTRAL, waited: float = 0):
    return requirement(
        POLICY, topic=topic, language=Language.ZH_CN, emotion=emotion, intensity=0.5, waited=waited
    )


def test_balanced_score_is_load_minus_level() -> None:
    base = {"talk_seconds_today": 0.0, "since": 1000.0, "seq": 0}
    strong_busy = agent_score("balanced", level=5, calls_today=4, **base)
    weak_idle = agent_score("balanced", level=2, calls_today=0, **base)
    assert strong_busy > weak_idle  # 4 - 5 = -1 against 0 - 2 = -2: the idle junior goes next
    assert agent_score("balanced", level=5, calls_today=2, **base) < weak_idle
    older = agent_score("balanced", level=3, calls_today=1, talk_seconds_today=0, since=10, seq=0)
    newer = agent_score("balanced", level=3, calls_today=1, talk_seconds_today=0, since=20, seq=0)
    assert older < newer  # ties go to the agent idle longest


def test_other_strategies_order() -> None:
    def score(strategy: str, **kw: float) -> float:
        fields = {"level": 3, "calls_today": 0, "talk_seconds_today": 0.0, "since": 100.0, "seq": 0}
        fields.update(kw)
        return agent_score(strategy, **fields)  # type: ignore[arg-type]

    assert score("longest_idle", since=50) < score("longest_idle", since=60)
    assert score("round_robin", seq=3) < score("round_robin", seq=4)
    assert score("fewest_calls", calls_today=1) < score("fewest_calls", calls_today=2)
    assert score("least_talk_time", talk_seconds_today=10) < score(
        "least_talk_time", talk_seconds_today=11
    )
    assert score("skill_first", level=5, since=999) < score("skill_first", level=4, since=1)


def test_pools_of_an_agent() -> None:
    assert agent_pools({"loans": 3}, ["en-US", "zh-CN"], ["de_escalation"]) == [
        "loans:en-US:3",
        "loans:en-US:3:t:de_escalation",
        "loans:zh-CN:3",
        "loans:zh-CN:3:t:de_escalation",
    ]


def test_overflow_lowers_the_level_over_time() -> None:
    assert _need().pools == ("loans:zh-CN:3", "loans:zh-CN:4", "loans:zh-CN:5")
    assert _need(waited=30).min_level == 2
    assert _need(waited=95).pools[0] == "loans:zh-CN:1"


def test_callback_thresholds() -> None:
    assert not _need(waited=99).offer_callback
    assert _need(waited=100).offer_callback and not _need(waited=100).past_max_wait
    assert _need(waited=300).past_max_wait


def test_angry_needs_level_four_or_the_trait_and_moves_up() -> None:
    need = _need(emotion=Emotion.ANGRY)
    assert need.priority == 25
    assert need.pools == (
        "loans:zh-CN:4",
        "loans:zh-CN:5",
        "loans:zh-CN:3:t:de_escalation",
    )


def test_sad_needs_the_trait_until_relaxed() -> None:
    assert all(p.endswith(":t:de_escalation") for p in _need(emotion=Emotion.SAD).pools)
    assert not any(":t:" in p for p in _need(emotion=Emotion.SAD, waited=61).pools)


def test_anxious_fraud_gets_the_highest_priority_only_for_its_topics() -> None:
    assert _need(Topic.FRAUD_DISPUTE, Emotion.ANXIOUS).priority == 100
    assert _need(Topic.LOANS, Emotion.ANXIOUS).priority == 5


def test_queue_order_priority_then_time() -> None:
    assert queue_score(100, 2000.0) < queue_score(20, 1000.0)
    assert queue_score(20, 1000.0) < queue_score(20, 1001.0)
