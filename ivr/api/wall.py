"""The supervisor's live wall: queues and agents from routing, today's figures from the tickets.

`live_wall` is plain arithmetic over what routing and the ticket store hand
out; `read_wall` fetches those and calls it. `GET /api/reports/live` and the
`/dashboard` page both use `read_wall`, so they always show the same numbers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from ivr.ids import AgentState
from ivr.routing.models import AgentView, QueueStatus
from ivr.routing.router import Router
from ivr.tickets.report_rows import report_tickets
from ivr.tickets.reports import ReportSummary, day_start, overdue_callbacks, summarize
from ivr.tickets.store import TicketStore
from ivr.tickets.views import CallbackView


class QueueOnWall(BaseModel):
    """A queue with callers waiting (no caller numbers: the wall may hang in an open room)."""

    queue: str
    topic: str
    language: str
    waiting: int
    longest_wait_seconds: float
    offered_callback: int
    upset: int
    available_agents: int
    on_duty_agents: int
    expected_wait_seconds: float


class AgentOnWall(BaseModel):
    """An agent's state, how long they have been in it, and the call they are on."""

    id: str
    name: str
    state: AgentState
    since: float
    seconds_in_state: float
    call_sid: str | None = None
    calls_today: int = 0


class LiveWall(BaseModel):
    """Everything the dashboard shows live, as of `at` (epoch seconds)."""

    at: float
    queues: list[QueueOnWall]
    waiting: int = Field(description="callers waiting in every queue")
    longest_wait_seconds: float
    offered_callback: int = Field(description="waiting callers offered a callback")
    upset_waiting: int = Field(description="waiting callers read as upset (ivr.ids.is_upset)")
    agents: list[AgentOnWall]
    agents_by_state: dict[str, int] = Field(description="every state, zero included")
    callbacks_due: int
    callbacks_overdue: int
    today: ReportSummary = Field(
        description="the calls since midnight in the bank's time zone (reports summary)"
    )
    timezone: str = Field(description="the bank's time zone (IVR_TIMEZONE), whose day `today` is")


def queue_on_wall(q: QueueStatus) -> QueueOnWall:
    """A queue's figures, without its callers' numbers."""
    topic, _, language = q.queue.partition(".")
    return QueueOnWall(
        queue=q.queue,
        topic=topic,
        language=language,
        waiting=q.waiting,
        longest_wait_seconds=q.longest_wait_seconds,
        offered_callback=q.offered_callback,
        upset=q.upset,
        available_agents=q.available_agents,
        on_duty_agents=q.on_duty_agents,
        expected_wait_seconds=q.expected_wait_seconds,
    )


def agent_on_wall(view: AgentView, *, now: float) -> AgentOnWall:
    """An agent's row: state, seconds in it, current call."""
    status = view.status
    return AgentOnWall(
        id=view.agent.id,
        name=view.agent.name,
        state=status.state,
        since=status.since,
        seconds_in_state=round(max(0.0, now - status.since), 1),
        call_sid=status.call_sid if status.state in (AgentState.BUSY, AgentState.WRAP_UP) else None,
        calls_today=status.calls_today,
    )


def agents_by_state(agents: Sequence[AgentOnWall]) -> dict[str, int]:
    """How many agents are in each state, every state listed."""
    found = Counter(a.state.value for a in agents)
    return {state.value: found.get(state.value, 0) for state in AgentState}


def live_wall(
    *,
    queues: Sequence[QueueStatus],
    agents: Sequence[AgentView],
    callbacks: Sequence[CallbackView],
    today: ReportSummary,
    now: float,
    timezone: str,
) -> LiveWall:
    """The wall from routing's queues and roster, the open callbacks and today's summary."""
    on_wall = [queue_on_wall(q) for q in queues]
    order = list(AgentState)
    people = sorted(
        (agent_on_wall(a, now=now) for a in agents), key=lambda a: (order.index(a.state), a.id)
    )
    return LiveWall(
        at=now,
        queues=on_wall,
        waiting=sum(q.waiting for q in on_wall),
        longest_wait_seconds=max((q.longest_wait_seconds for q in on_wall), default=0.0),
        offered_callback=sum(q.offered_callback for q in on_wall),
        upset_waiting=sum(q.upset for q in on_wall),
        agents=people,
        agents_by_state=agents_by_state(people),
        callbacks_due=len(callbacks),
        callbacks_overdue=overdue_callbacks(callbacks, now=now),
        today=today,
        timezone=timezone,
    )


async def read_wall(*, routing: Router, store: TicketStore, now: float, zone: ZoneInfo) -> LiveWall:
    """Read routing's queues and roster and the ticket store, and build the wall."""
    since = day_start(now, zone=zone)
    return live_wall(
        queues=await routing.queue_status(),
        agents=await routing.list_agents(),
        callbacks=await store.callbacks(now=now),
        today=summarize(await report_tickets(store, since, None), period_from=since),
        now=now,
        timezone=zone.key,
    )
