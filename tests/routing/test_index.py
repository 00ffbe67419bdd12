"""The Redis pools choose exactly what the documented scores say, for every strategy."""

from __future__ import annotations

import random

import pytest
import redis.asyncio as aioredis

from ivr.keys import Keys
from ivr.routing.index import AgentIndex
from ivr.routing.policy import STRATEGIES
from ivr.routing.scoring import agent_pools, agent_score, pool_id
from tests.routing.routing_support import Clock

SKILLS = ["s1", "s2", "s3"]
LANGS = ["en-US", "zh-CN"]


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_pools_agree_with_a_scan_of_every_agent(
    strategy: str, redis: aioredis.Redis, keys: Keys, clock: Clock
) -> None:
    rng = random.Random(strategy)
    index = AgentIndex(redis=redis, keys=keys, clock=clock)
    await index.configure(
        strategies={s: strategy for s in SKILLS},
        default_strategy="balanced",
        level_weight=1.5,
        load_weight=1.0,
        wrap_up_seconds=0,
    )
    roster: dict[str, tuple[dict[str, int], list[str]]] = {}
    for i in range(40):
        skills = {s: rng.randint(1, 5) for s in rng.sample(SKILLS, rng.randint(1, 3))}
        langs = rng.sample(LANGS, rng.randint(1, 2))
        roster[f"a{i:02d}"] = (skills, langs)
        pools = agent_pools(skills, langs, [])
        await index.put(
            f"a{i:02d}", doc="{}", pools=pools, rosters=[], callback_rosters=[], mode="create"
        )
        clock.advance(1)
    for n in range(80):
        skill, lang, low = rng.choice(SKILLS), rng.choice(LANGS), rng.randint(1, 4)
        records = {r.agent_id: r for r in await index.get_many(sorted(roster)) if r}
        scores = {
            agent_id: agent_score(
                strategy,
                level=skills[skill],
                calls_today=records[agent_id].calls_today,
                talk_seconds_today=records[agent_id].talk_seconds_today,
                since=records[agent_id].since,
                seq=records[agent_id].seq,
                level_weight=1.5,
            )
            for agent_id, (skills, langs) in roster.items()
            if skills.get(skill, 0) >= low and lang in langs
        }
        outcome = await index.route(
            mode="route",
            call_sid=f"CA{n}",
            queue=f"{skill}.{lang}",
            queue_score=clock.now,
            request_json="{}",
            priority=0,
            pools=[pool_id(skill, lang, level) for level in range(low, 6)],
        )
        if not scores:
            assert outcome.kind == "queue"
            await index.abandon(f"CA{n}")
            continue
        assert outcome.kind == "connect" and outcome.agent_id is not None
        assert scores[outcome.agent_id] == pytest.approx(min(scores.values()), abs=1e-9)
        clock.advance(rng.randint(1, 30))
        talk = float(rng.randint(10, 300))
        status, _ = await index.release(
            call_sid=f"CA{n}", agent_id=outcome.agent_id, outcome="talked", talk_seconds=talk
        )
        assert status == "ok"
