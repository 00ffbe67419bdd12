"""The live event channel: server-sent events fed from the Redis event stream.

Every call event goes through one Redis stream (ivr.events.EventLog,
the stream the ticket persister consumes). A page opens an EventSource on
`/live` (or a page's own endpoint built with `event_frames`), gets the recent
past replayed, then each new event as it is written. Each SSE message's id is
the stream entry id, so a reconnect (the browser sends Last-Event-ID) goes on
exactly where it stopped, and a second tab replays the same window: both see
the same state. An agent sees only the calls put through to them.

Message kinds: `call` (a CallEvent as JSON, plus `entry`), and whatever a
page's `shape` adds (the console adds `pop`).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from ivr.api.deps import KeysDep, RedisDep
from ivr.events import STREAM_FIELD, CallEvent
from ivr.keys import Keys
from ivr.security import Role
from ivr.web.guard import SignedIn
from ivr.web.sessions import WebSession

router = APIRouter(include_in_schema=False)

REPLAY_SECONDS = 1800  # a new tab replays the last half hour (the persister keeps more)
BLOCK_MS = 5000  # how long one read waits for news; a comment line keeps the connection up
BATCH = 200
_ENTRY_ID = re.compile(r"^\d{1,20}-\d{1,20}$")

Frames = list[str]
Shape = Callable[[str, CallEvent], Awaitable[Frames]]


def frame(kind: str, data: Any, *, entry_id: str | None = None) -> str:
    """One SSE message (`id` only on messages that come from the stream)."""
    head = f"id: {entry_id}\n" if entry_id else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def start_id(last_event_id: str | None, *, now: float, replay_seconds: float) -> str:
    """Where reading starts: after Last-Event-ID when valid, else `replay_seconds` ago."""
    if last_event_id and _ENTRY_ID.match(last_event_id.strip()):
        return last_event_id.strip()
    return f"{int((now - replay_seconds) * 1000)}-0"


class CallsOf:
    """Which events an agent may see: those of calls put through to them, from then on."""

    def __init__(self, agent_id: str) -> None:
        self.agent_id = agent_id
        self.calls: set[str] = set()

    def __call__(self, event: CallEvent) -> bool:
        if event.type == "agent.dialed" and event.data.get("agent_id") == self.agent_id:
            self.calls.add(event.call_sid)
        return event.call_sid in self.calls


def visibility(session: WebSession) -> Callable[[CallEvent], bool]:
    """What `session` may see: supervisors and admins everything, an agent their calls."""
    if session.role is Role.AGENT:
        return CallsOf(session.agent_id or "")
    return lambda event: True


async def plain(entry_id: str, event: CallEvent) -> Frames:
    """The default shape: the event itself."""
    return [frame("call", {"entry": entry_id, **event.model_dump(mode="json")}, entry_id=entry_id)]


def _decoded(fields: dict[bytes, bytes]) -> CallEvent | None:
    raw = fields.get(STREAM_FIELD)
    if raw is None:
        return None
    try:
        return CallEvent.model_validate_json(raw)
    except ValidationError:
        return None  # the persister parks it; a page has nothing to show


async def event_frames(
    request: Request,
    *,
    redis: aioredis.Redis,
    keys: Keys,
    visible: Callable[[CallEvent], bool],
    shape: Shape = plain,
    each_round: Callable[[], Awaitable[None]] | None = None,
    replay_seconds: float = REPLAY_SECONDS,
    block_ms: int = BLOCK_MS,
) -> AsyncIterator[str]:
    """SSE text: the replay, then live events, until the browser goes away."""
    stream = keys.events_stream()
    last = start_id(
        request.headers.get("last-event-id"), now=time.time(), replay_seconds=replay_seconds
    )
    yield "retry: 2000\n\n"
    while not await request.is_disconnected():
        if each_round is not None:
            await each_round()
        answer = await redis.xread({stream: last}, count=BATCH, block=block_ms)
        if not answer:
            yield ": still here\n\n"
            continue
        for raw_id, fields in answer[0][1]:
            last = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
            event = _decoded(fields)
            if event is None or not visible(event):
                continue
            for text in await shape(last, event):
                yield text


def sse_response(frames: AsyncIterator[str]) -> StreamingResponse:
    """A text/event-stream response that proxies do not buffer."""
    return StreamingResponse(
        frames,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/live")
async def live(
    request: Request, session: SignedIn, redis: RedisDep, keys: KeysDep
) -> StreamingResponse:
    """Call events as they happen (SSE), replayed from Last-Event-ID; an agent sees their calls."""
    return sse_response(event_frames(request, redis=redis, keys=keys, visible=visibility(session)))
