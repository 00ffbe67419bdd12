"""Waiting callers as supervisors see them, and the expected wait callers are told."""

from __future__ import annotations

from statistics import fmean

from ivr.ids import Topic, is_upset
from ivr.routing.index import AgentIndex
from ivr.routing.models import QueueStatus, RoutingRequest, WaitingCaller
from ivr.routing.policy import Policy
from ivr.routing.scoring import pool_id, requirement


async def expected_wait(
    index: AgentIndex,
    *,
    queue: str,
    roster: str,
    position: int,
    default_handle_seconds: float,
) -> float:
    """Position x the queue's recent handle time (talk + wrap-up), shared by agents on duty."""
    history = await index.recent_handle_seconds(queue)
    handle = fmean(history) if history else default_handle_seconds
    on_duty = await index.on_duty(roster)
    return round(position * handle / max(1, on_duty), 1)


async def queue_status(*, index: AgentIndex, policy: Policy, now: float) -> list[QueueStatus]:
    """Every queue with someone waiting: callers in serving order, agents free and on duty."""
    out: list[QueueStatus] = []
    for queue in await index.queues():
        topic_name, _, language = queue.partition(".")
        try:
            skill = policy.queue_for(Topic(topic_name)).skill.value
        except ValueError:
            continue
        sids = await index.waiting(queue, 200)
        callers = []
        for pos, rec in enumerate(await index.calls(sids), 1):
            if "req" not in rec:
                continue
            req = RoutingRequest.model_validate_json(rec["req"])
            callers.append(
                waiting_caller(
                    req, policy, position=pos, priority=int(rec.get("priority", "0")), now=now
                )
            )
        roster = f"{skill}:{language}"
        out.append(
            QueueStatus(
                queue=queue,
                waiting=await index.queue_length(queue),
                available_agents=await index.available_in(
                    [pool_id(skill, language, level) for level in range(1, 6)]
                ),
                on_duty_agents=await index.on_duty(roster),
                expected_wait_seconds=await expected_wait(
                    index,
                    queue=queue,
                    roster=roster,
                    position=max(1, len(sids)),
                    default_handle_seconds=policy.default_handle_seconds,
                ),
                longest_wait_seconds=max((c.waited_seconds for c in callers), default=0.0),
                offered_callback=sum(c.offered_callback for c in callers),
                upset=sum(c.upset for c in callers),
                callers=callers,
            )
        )
    return out


def waiting_caller(
    req: RoutingRequest, policy: Policy, *, position: int, priority: int, now: float
) -> WaitingCaller:
    """One waiting caller as the supervisor sees them: how long, how upset, offered a callback."""
    waited = round(max(0.0, now - req.entered_at), 1)
    # The same rule that makes the flow offer "press 1" (routing.scoring.requirement).
    need = requirement(
        policy,
        topic=req.topic,
        language=req.language,
        emotion=req.emotion,
        intensity=req.emotion_intensity,
        waited=waited,
    )
    return WaitingCaller(
        call_sid=req.call_sid,
        caller=req.caller,
        position=position,
        priority=priority,
        waited_seconds=waited,
        emotion=req.emotion,
        emotion_intensity=req.emotion_intensity,
        upset=is_upset(req.emotion, req.emotion_intensity),
        offered_callback=need.offer_callback,
    )
