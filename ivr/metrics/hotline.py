"""The hotline's state as Prometheus gauges, read from Redis when scraped.

Queues, agents, the event stream on its way to the ticket store and the
transcription queue all live in Redis, so any worker of any process reports
the same figures and nothing is counted twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import redis.asyncio as aioredis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ivr.ids import AgentState
from ivr.keys import Keys
from ivr.routing.models import AgentView
from ivr.routing.router import Router
from ivr.tickets.persister import GROUP


class Snapshot(Collector):
    """Metric families computed beforehand (our Redis reads are async; collect() is not)."""

    def __init__(self, families: Iterable[GaugeMetricFamily]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The families as read."""
        yield from self.families


async def hotline_families(
    *, redis: aioredis.Redis, keys: Keys, router: Router
) -> list[GaugeMetricFamily]:
    """Queues, agents by state, persister lag and dead events, transcription backlog."""
    return [
        *await _queues(router),
        _agents(await router.list_agents()),
        *await _events(redis, keys),
        _gauge(
            "ivr_transcriptions_waiting",
            "Recordings queued for transcription and not yet taken by a worker.",
            await redis.zcard(keys.arq_queue()),
        ),
    ]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


async def _queues(router: Router) -> list[GaugeMetricFamily]:
    depth = GaugeMetricFamily(
        "ivr_queue_callers", "Callers waiting in each queue (topic.language).", labels=["queue"]
    )
    longest = GaugeMetricFamily(
        "ivr_queue_longest_wait_seconds",
        "How long the longest-waiting caller of each queue has waited.",
        labels=["queue"],
    )
    for queue in await router.queue_status():
        depth.add_metric([queue.queue], queue.waiting)
        waited = max((c.waited_seconds for c in queue.callers), default=0.0)
        longest.add_metric([queue.queue], waited)
    return [depth, longest]


def _agents(views: Iterable[AgentView]) -> GaugeMetricFamily:
    counts = dict.fromkeys(AgentState, 0)
    for view in views:
        counts[view.status.state] += 1
    family = GaugeMetricFamily("ivr_agents", "Agents in each state.", labels=["state"])
    for state, count in counts.items():
        family.add_metric([state.value], count)
    return family


async def _events(redis: aioredis.Redis, keys: Keys) -> list[GaugeMetricFamily]:
    """Events not yet in the ticket store (undelivered + unacknowledged), their age, dead ones."""
    stream = keys.events_stream()
    waiting, oldest_id = 0, None
    groups = await redis.xinfo_groups(stream) if await redis.exists(stream) else []
    group = next((g for g in groups if _text(g.get("name")) == GROUP), None)
    if group is None:
        waiting = int(await redis.xlen(stream))
        first = await redis.xrange(stream, count=1)
        oldest_id = _text(first[0][0]) if first else None
    else:
        lag = group.get("lag")
        pending = int(group.get("pending") or 0)
        waiting = pending + (int(lag) if lag is not None else 0)
        if pending:
            summary = await redis.xpending(stream, GROUP)
            oldest_id = _text(summary.get("min"))
        if oldest_id is None:
            after = _text(group.get("last-delivered-id") or "0-0")
            first = await redis.xrange(stream, min=f"({after}", count=1)
            oldest_id = _text(first[0][0]) if first else None
    age = 0.0
    if oldest_id:
        age = max(0.0, time.time() - int(oldest_id.split("-")[0]) / 1000)
    return [
        _gauge(
            "ivr_events_unpersisted",
            "Call events in the Redis stream not yet stored in the ticket store (persister lag).",
            waiting,
        ),
        _gauge(
            "ivr_events_unpersisted_oldest_seconds",
            "Age of the oldest call event not yet stored in the ticket store.",
            round(age, 3),
        ),
        _gauge(
            "ivr_events_dead",
            "Call events parked as malformed (ivr:events:dead), waiting for a person.",
            await redis.xlen(keys.events_dead_letter()),
        ),
    ]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
