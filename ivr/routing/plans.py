"""What a caller needs of routing right now, and whether their last agent may take them."""

from __future__ import annotations

from dataclasses import dataclass

from ivr.ids import AgentState
from ivr.routing.index import AgentIndex
from ivr.routing.models import Agent, RoutingRequest
from ivr.routing.policy import Policy
from ivr.routing.scoring import Requirement, agent_pools, requirement


@dataclass(frozen=True, slots=True)
class Plan:
    """The requirement in force for a caller, and the agent they stick to, if any."""

    need: Requirement
    sticky_agent: str | None
    sticky_only: bool


def eligible(doc: str, need: Requirement) -> bool:
    """Whether an agent may take a call needing `need`: the same pools anyone is chosen from.

    The pools carry the language, the topic's skill at the level in force (after any
    overflow) and the emotion rules' level or trait, so sticky routing obeys them too.
    """
    agent = Agent.model_validate_json(doc)
    pools = agent_pools(
        {topic.value: level for topic, level in agent.skills.items()},
        [lang.value for lang in agent.languages],
        sorted(set(agent.traits)),
    )
    return not set(need.pools).isdisjoint(pools)


async def make_plan(policy: Policy, index: AgentIndex, request: RoutingRequest, now: float) -> Plan:
    """The caller's requirement now (it widens as they wait), and their sticky agent."""
    waited = max(0.0, now - request.entered_at)
    need = requirement(
        policy,
        topic=request.topic,
        language=request.language,
        emotion=request.emotion,
        intensity=request.emotion_intensity,
        waited=waited,
    )
    sticky = request.last_agent_id if request.open_ticket else None
    if sticky:
        record = await index.get(sticky)
        if (
            record is None
            or record.state == AgentState.OFFLINE.value
            or not eligible(record.doc, need)
        ):
            sticky = None
    sticky_only = sticky is not None and waited < policy.sticky_seconds
    return Plan(need=need, sticky_agent=sticky, sticky_only=sticky_only)
