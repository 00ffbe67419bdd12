"""The Router: the flow engine asks it who takes a call, and tells it how dialing went.

Decisions are made by one Lua script each (ivr.routing.index), so any number of
server processes may route at once. Waiting callers are served by priority,
then by time waited: `tick()` (every second) and every wait-URL `poll()` match
freed agents to the waiting callers in that order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis

from ivr.bank_time import UTC
from ivr.errors import InvalidInputError, NotFoundError
from ivr.events import EventLog
from ivr.ids import AgentState, Topic
from ivr.keys import Keys
from ivr.routing.callbacks import promise_callback
from ivr.routing.explain import candidates, decided_event
from ivr.routing.index import CALL_TTL_SECONDS, AgentIndex
from ivr.routing.models import (
    Agent,
    AgentView,
    Callback,
    DecisionKind,
    DialStatus,
    QueueStatus,
    RoutingDecision,
    RoutingRequest,
)
from ivr.routing.plans import Plan, make_plan
from ivr.routing.policy import Policy
from ivr.routing.queues import expected_wait, queue_status
from ivr.routing.records import DIAL_OUTCOMES, RouteOutcome
from ivr.routing.roster import AgentRoster
from ivr.routing.scoring import (
    STRATEGY_RULES,
    Requirement,
    pool_id,
    queue_score,
)

log = logging.getLogger(__name__)

SERVE_BATCH = 50
"""Waiting callers tried per queue per pass: the head of the queue, in serving order."""
GONE_LIMIT = 4
"""A pass stops after this many callers were served by another pass meanwhile."""


class Router:
    """Chooses agents for callers, holds callers fairly, assigns callbacks."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        keys: Keys,
        policy: Policy,
        events: EventLog | None = None,
        callback_events: bool = True,
        clock: Callable[[], float] = time.time,
        zone: ZoneInfo = UTC,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self.policy = policy
        self._events = events
        # False in the service: the call controller logs callbacks with its webhook's events.
        self._callback_events = events if callback_events else None
        self._clock = clock
        # The bank's zone: an agent's calls today start at zero at its midnight.
        self._index = AgentIndex(redis=redis, keys=keys, clock=clock, zone=zone)
        self._configured = False
        self.agents = AgentRoster(index=self._index, ready=self.start)

    async def start(self) -> None:
        """Store the policy's strategies and weights in Redis (once; later calls are free)."""
        if self._configured:
            return
        await self._index.configure(
            strategies=self.policy.skill_strategies(),
            default_strategy=self.policy.default_strategy,
            level_weight=self.policy.balanced.level_weight,
            load_weight=self.policy.balanced.load_weight,
            wrap_up_seconds=self.policy.wrap_up_seconds,
        )
        self._configured = True

    # --- the agent registry (see AgentRoster) ---
    async def add_agent(
        self, agent: Agent, *, state: AgentState = AgentState.AVAILABLE
    ) -> AgentView:
        """Register a new agent (ConflictError when the id is taken)."""
        return await self.agents.add(agent, state=state)

    async def update_agent(self, agent: Agent, *, expected_version: int | None = None) -> AgentView:
        """Replace an agent's details (ConflictError when `expected_version` is stale)."""
        return await self.agents.update(agent, expected_version=expected_version)

    async def get_agent(self, agent_id: str) -> AgentView:
        """One agent with its status (NotFoundError when unknown)."""
        return await self.agents.get(agent_id)

    async def list_agents(self) -> list[AgentView]:
        """Every agent with its status."""
        return await self.agents.all()

    async def remove_agent(self, agent_id: str, *, expected_version: int | None = None) -> None:
        """Remove an agent that is not on a call."""
        await self.agents.remove(agent_id, expected_version=expected_version)

    async def set_status(
        self, agent_id: str, state: str | AgentState, *, expected_version: int | None = None
    ) -> AgentView:
        """Change an agent's state (InvalidInputError for an unknown state)."""
        return await self.agents.set_status(agent_id, state, expected_version=expected_version)

    # --- decisions ---
    async def _emit(self, decision: RoutingDecision, number: int, request: RoutingRequest) -> None:
        """The one writer of `routing.decided`: each decision once, by its number."""
        if self._events is not None and number > 0:
            await self._events.append([decided_event(decision, number, request, at=self._clock())])

    async def _connect(
        self, request: RoutingRequest, plan: Plan, outcome: RouteOutcome
    ) -> RoutingDecision:
        assert outcome.agent_id is not None
        view = await self._index.get(outcome.agent_id)
        agent = Agent.model_validate_json(view.doc) if view else None
        sticky = outcome.agent_id == plan.sticky_agent
        strategy = "sticky" if sticky else plan.need.strategy
        why = (
            "returning customer's agent"
            if sticky
            else f"first by {STRATEGY_RULES.get(strategy, strategy)}"
        )
        return RoutingDecision(
            call_sid=request.call_sid,
            kind=DecisionKind.CONNECT,
            strategy=strategy,
            agent=agent,
            queue=plan.need.queue,
            priority=plan.need.priority,
            candidates=candidates(outcome.considered, plan.need.strategy),
            reason=f"{why}; " + "; ".join(plan.need.reasons),
        )

    async def _callback(
        self, request: RoutingRequest, need: Requirement, reason: str
    ) -> RoutingDecision:
        """Leave the queue and offer a callback; the decision is stored like any other."""
        await self._index.abandon(request.call_sid, final="callback")
        key = self._keys.routing("call", request.call_sid)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"req": request.model_dump_json(), "state": "callback"})
            pipe.hincrby(key, "n", 1)
            pipe.expire(key, CALL_TTL_SECONDS)
            number = int((await pipe.execute())[1])
        decision = RoutingDecision(
            call_sid=request.call_sid,
            kind=DecisionKind.CALLBACK,
            strategy=need.strategy,
            queue=need.queue,
            priority=need.priority,
            reason=reason,
            offer_callback=True,
        )
        await self._emit(decision, number, request)
        return decision

    async def _queued(
        self, request: RoutingRequest, plan: Plan, outcome: RouteOutcome, position: int
    ) -> RoutingDecision:
        need = plan.need
        declined = await self._index.declined(request.call_sid)
        if position > 1:
            why = f"{position - 1} caller(s) ahead by priority or time waited"
        elif plan.sticky_only:
            why = f"waiting for agent {plan.sticky_agent} (open ticket)"
        else:
            why = f"no available agent: {', '.join(need.pools)}"
        if declined:
            why += f" ({declined} agent(s) declined this call)"
        return RoutingDecision(
            call_sid=request.call_sid,
            kind=DecisionKind.QUEUE,
            strategy=need.strategy,
            queue=need.queue,
            priority=need.priority,
            position=position,
            expected_wait_seconds=await expected_wait(
                self._index,
                queue=need.queue,
                roster=f"{need.skill}:{need.language}",
                position=position,
                default_handle_seconds=self.policy.default_handle_seconds,
            ),
            candidates=candidates(outcome.considered, need.strategy),
            reason=f"{why}; " + "; ".join(need.reasons),
            offer_callback=need.offer_callback,
        )

    async def _attempt(self, mode: str, request: RoutingRequest, plan: Plan) -> RouteOutcome:
        need = plan.need
        return await self._index.route(
            mode=mode,
            call_sid=request.call_sid,
            queue=need.queue,
            queue_score=queue_score(need.priority, request.entered_at),
            request_json=request.model_dump_json(),
            priority=need.priority,
            pools=need.pools,
            sticky_agent=plan.sticky_agent,
            sticky_only=plan.sticky_only,
        )

    async def route(self, request: RoutingRequest) -> RoutingDecision:
        """Reserve the best agent for the caller now, or queue them, or offer a callback."""
        await self.start()
        now = self._clock()
        plan = await make_plan(self.policy, self._index, request, now)
        need = plan.need
        if need.past_max_wait:
            return await self._callback(request, need, "waited past the queue's maximum wait")
        if (
            plan.sticky_agent is None
            and await self._index.on_duty(f"{need.skill}:{need.language}") == 0
        ):
            reason = f"nobody on duty has skill {need.skill} in {need.language}"
            return await self._callback(request, need, reason)
        outcome = await self._attempt("route", request, plan)
        if outcome.kind == "connect":
            decision = await self._connect(request, plan, outcome)
            await self._emit(decision, outcome.decision_number, request)
            return decision
        # someone may be ahead of this caller: serve the queue in order, then look again
        served = await self._serve_queue(need.queue, now)
        if request.call_sid in served:
            return await self.poll(request.call_sid)
        position = await self._index.position(need.queue, request.call_sid) or 1
        decision = await self._queued(request, plan, outcome, position)
        await self._emit(decision, outcome.decision_number, request)
        return decision

    async def _serve_queue(self, queue: str, now: float) -> set[str]:
        """Serve `queue`'s waiting callers in order while agents are free; the ones served."""
        served: set[str] = set()
        topic_name, _, language = queue.partition(".")
        try:
            skill = self.policy.queue_for(Topic(topic_name)).skill.value
        except ValueError:
            return served
        any_level = [pool_id(skill, language, level) for level in range(1, 6)]
        if await self._index.available_in(any_level) == 0:
            return served
        sids = await self._index.waiting(queue, SERVE_BATCH)
        records = await self._index.calls(sids)
        # a call whose record expired (its hang-up never reached us) must not hold others back
        stale = [sid for sid, record in zip(sids, records, strict=True) if not record]
        if stale:
            await self._index.forget_waiting(queue, stale)
        taken_by_others = 0
        for sid, record in zip(sids, records, strict=True):
            if record.get("state") != "waiting" or "req" not in record:
                continue
            request = RoutingRequest.model_validate_json(record["req"])
            plan = await make_plan(self.policy, self._index, request, now)
            if plan.need.past_max_wait:
                continue  # their own poll turns this into a callback offer
            outcome = await self._attempt("serve", request, plan)
            if outcome.kind == "gone":
                # another process is serving this queue right now: leave the rest to it
                taken_by_others += 1
                if taken_by_others >= GONE_LIMIT:
                    break
                continue
            if outcome.kind != "connect":
                continue  # this caller needs someone not free now; those behind may not
            served.add(sid)
            decision = await self._connect(request, plan, outcome)
            await self._emit(decision, outcome.decision_number, request)
            if await self._index.available_in(any_level) == 0:
                break
        return served

    async def poll(self, call_sid: str) -> RoutingDecision:
        """A waiting caller's wait URL was visited: connect, keep waiting, or offer a callback."""
        await self.start()
        now = self._clock()
        record = await self._index.call(call_sid)
        if "req" not in record:
            raise NotFoundError("call", call_sid)
        request = RoutingRequest.model_validate_json(record["req"])
        plan = await make_plan(self.policy, self._index, request, now)
        state = record.get("state")
        if state == "waiting":
            if plan.need.past_max_wait:
                return await self._callback(
                    request, plan.need, "waited past the queue's maximum wait"
                )
            await self._serve_queue(record.get("queue", plan.need.queue), now)
            record = await self._index.call(call_sid)
            state = record.get("state")
        if state == "assigned":
            outcome = RouteOutcome(kind="connect", agent_id=record["agent"])
            return await self._connect(request, plan, outcome)
        if state == "waiting":
            position = await self._index.position(record["queue"], call_sid) or 1
            return await self._queued(request, plan, RouteOutcome(kind="queue"), position)
        if state == "rerouting":
            return await self.route(request)
        if state == "callback":
            return RoutingDecision(
                call_sid=call_sid,
                kind=DecisionKind.CALLBACK,
                strategy=plan.need.strategy,
                queue=plan.need.queue,
                reason="a callback was already offered",
                offer_callback=True,
            )
        raise InvalidInputError(
            f"call {call_sid!r} is no longer waiting ({state})", field="call_sid"
        )

    async def dial_result(
        self, call_sid: str, agent_id: str, status: DialStatus, *, talk_seconds: float = 0
    ) -> None:
        """After <Dial>: talked -> wrap-up; no answer/busy/failed -> agent away, route again.

        A result for a call routing does not know (or a repeated one) is logged and ignored.
        """
        outcome = DIAL_OUTCOMES.get(status)
        if outcome is None:
            raise InvalidInputError(f"unknown dial status {status!r}", field="DialCallStatus")
        result, before = await self._index.release(
            call_sid=call_sid, agent_id=agent_id, outcome=outcome, talk_seconds=talk_seconds
        )
        if result == "unknown":
            # never raise here: the caller is on the line and the engine must answer them
            log.warning("dial result for unknown call %s (agent %s)", call_sid, agent_id)
            return
        if result == "stale":
            # a carrier retry, or a result for an agent this call no longer holds
            log.info("stale dial result %s for %s/%s (call %s)", status, call_sid, agent_id, before)

    async def abandon(self, call_sid: str) -> None:
        """A waiting caller hung up: leave the queue; an agent chosen for them is freed."""
        before, agent = await self._index.abandon(call_sid)
        if before == "unknown":
            log.info("abandon for unknown call %s", call_sid)
        elif agent:
            log.info("call %s abandoned; agent %s freed", call_sid, agent)

    async def tick(self) -> None:
        """Every second: a new day's counters, wrap-ups ended, waiting callers served in order."""
        await self.start()
        now = self._clock()
        await self._index.start_day()
        await self._index.end_wrap_ups()
        queues = await self._index.queues()
        heads: list[tuple[float, str]] = []
        for queue in queues:
            top = await self._redis.zrange(
                self._keys.routing("waiting", queue), 0, 0, withscores=True
            )
            if top:
                heads.append((float(top[0][1]), queue))
        for _, queue in sorted(heads):
            await self._serve_queue(queue, now)

    async def request_callback(
        self, request: RoutingRequest, *, due_at: float | None = None
    ) -> Callback:
        """Promise a callback, assigned by callback load weighed by ability; one per call."""
        await self.start()
        return await promise_callback(
            request,
            due_at=due_at,
            redis=self._redis,
            keys=self._keys,
            index=self._index,
            policy=self.policy,
            events=self._callback_events,
            now=self._clock(),
        )

    async def queue_status(self) -> list[QueueStatus]:
        """Every queue with waiting callers: who waits, in serving order."""
        return await queue_status(index=self._index, policy=self.policy, now=self._clock())
