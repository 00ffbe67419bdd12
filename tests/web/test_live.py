"""The live channel: replayed from Last-Event-ID, filtered per principal, from the real stream."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from ivr.events import CallEvent, EventLog, event_id
from ivr.keys import Keys
from ivr.security import Role
from ivr.web.live import event_frames, visibility
from ivr.web.sessions import WebSession


class Tab:
    """What event_frames reads of a browser request: its headers, and whether it went away."""

    def __init__(self, last_event_id: str | None = None, *, rounds: int = 2) -> None:
        self.headers = {"last-event-id": last_event_id} if last_event_id else {}
        self._rounds = rounds

    async def is_disconnected(self) -> bool:
        self._rounds -= 1
        return self._rounds < 0


def event(call_sid: str, kind: str, at: float, **data: object) -> CallEvent:
    return CallEvent(id=event_id(call_sid, kind), call_sid=call_sid, at=at, type=kind, data=data)


async def read(tab: Tab, redis: aioredis.Redis, keys: Keys, session: WebSession) -> list[dict]:
    frames = [
        f
        async for f in event_frames(
            tab,  # type: ignore[arg-type]
            redis=redis,
            keys=keys,
            visible=visibility(session),
            block_ms=50,
        )
    ]
    messages = []
    for text in frames:
        lines = dict(line.split(": ", 1) for line in text.strip().splitlines() if ": " in line)
        if lines.get("event") == "call":
            messages.append({**json.loads(lines["data"]), "sse_id": lines["id"]})
    return messages


def agent(name: str) -> WebSession:
    return WebSession(id="s", role=Role.AGENT, agent_id=name, csrf="c")


async def test_an_agent_sees_only_calls_put_through_to_them(
    redis: aioredis.Redis, keys: Keys
) -> None:
    import time

    now = time.time()
    await EventLog(redis=redis, keys=keys).append(
        [
            event("CA1", "nlu.read", now, topic="loans"),
            event("CA1", "agent.dialed", now, agent_id="amy", endpoint="client"),
            event("CA2", "agent.dialed", now, agent_id="bo", endpoint="client"),
            event("CA1", "agent.result", now, agent_id="amy", dial_status="completed"),
            event("CA2", "agent.result", now, agent_id="bo", dial_status="completed"),
        ]
    )
    seen = await read(Tab(), redis, keys, agent("amy"))
    assert [(m["call_sid"], m["type"]) for m in seen] == [
        ("CA1", "agent.dialed"),
        ("CA1", "agent.result"),
    ]
    supervisor = WebSession(id="s", role=Role.SUPERVISOR, csrf="c")
    assert len(await read(Tab(), redis, keys, supervisor)) == 5


async def test_a_reconnect_goes_on_after_its_last_event_id_and_a_second_tab_replays(
    redis: aioredis.Redis, keys: Keys
) -> None:
    import time

    now = time.time()
    log = EventLog(redis=redis, keys=keys)
    await log.append([event("CA1", "call.started", now), event("CA1", "nlu.read", now)])
    boss = WebSession(id="s", role=Role.ADMIN, csrf="c")
    first = await read(Tab(), redis, keys, boss)
    await log.append([event("CA1", "call.ended", now)])
    again = await read(Tab(first[-1]["sse_id"]), redis, keys, boss)
    assert [m["type"] for m in again] == ["call.ended"]
    second_tab = await read(Tab(), redis, keys, boss)
    assert [m["type"] for m in second_tab] == ["call.started", "nlu.read", "call.ended"]
    assert [m["sse_id"] for m in second_tab[:2]] == [m["sse_id"] for m in first]
