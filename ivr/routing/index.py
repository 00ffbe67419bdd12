"""The Redis side of routing: agent states, candidate pools, waiting callers.

Skills, languages and traits are plain strings here (the API and the policy
validate them), so the benchmark can use thirty skills.

Layout, all under ``keys.routing(...)``:

- ``agent:{id}`` hash: ``doc`` (the agent's JSON), ``state``, ``since``,
  ``version``, ``calls``/``talk`` (today, ``day``), ``seq`` (round robin),
  ``call`` (while busy), ``pools``/``rosters``/``cbs`` (where it is indexed);
- ``pool:{skill}:{lang}:{level}[:t:{trait}]`` sorted sets of *available* agents,
  scored by the strategy of the skill's queue (``scoring.agent_score``), so a
  decision reads the head of a few sets: O(log n), never a scan;
- ``roster:{skill}:{lang}`` sets of agents on duty (not offline);
- ``cb:{skill}:{lang}`` callback load of every agent;
- ``waiting:{queue}`` sorted sets of waiting callers (priority, then time waited),
  ``queues`` (non-empty ones), ``call:{sid}`` hashes, ``tried:{sid}`` sets;
- ``wrapup`` sorted set (wrap-up end times), ``hist:{queue}`` recent handle times;
- ``callback:{id}``, ``callbacks`` and ``callback_of:{number}``: see ivr.routing.callbacks.

Every change of an agent's state, and every choice, is one Lua script: two
server processes can never give one agent two calls.
"""

from __future__ import annotations

import datetime as dt
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from importlib import resources
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from redis.commands.core import AsyncScript

from ivr.bank_time import UTC, local_date
from ivr.keys import Keys
from ivr.routing.records import AgentRecord, Considered, RouteOutcome

SCRIPTS = (
    "put_agent",
    "remove_agent",
    "set_state",
    "route",
    "release",
    "end_wrap_ups",
    "abandon",
    "pick_callback_agent",
    "promise_callback",
    "release_callback",
    "new_day",
)
PER_POOL = 4
"""Heads read from each pool: enough to skip agents who already declined this call."""
CALL_TTL_SECONDS = 6 * 3600
HISTORY_LENGTH = 50
EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
T = TypeVar("T")


async def _settle(value: Awaitable[T] | T) -> T:
    """redis-py types its async commands as `Awaitable[X] | X`; this awaits them typed."""
    if inspect.isawaitable(value):
        return await value
    return value


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


def _load_scripts(redis: aioredis.Redis) -> dict[str, AsyncScript]:
    folder = resources.files("ivr.routing") / "lua"
    common = (folder / "common.lua").read_text(encoding="utf-8")
    return {
        name: redis.register_script(common + "\n" + (folder / f"{name}.lua").read_text("utf-8"))
        for name in SCRIPTS
    }


class AgentIndex:
    """Atomic agent state and candidate selection in Redis."""

    def __init__(
        self,
        *,
        redis: aioredis.Redis,
        keys: Keys,
        clock: Callable[[], float] = time.time,
        zone: ZoneInfo = UTC,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._clock = clock
        self._zone = zone
        self._base = keys.routing("")
        self._scripts = _load_scripts(redis)

    def key(self, *parts: str) -> str:
        """A routing key (keys.routing)."""
        return self._keys.routing(*parts)

    async def _run(self, name: str, *args: str | int | float) -> Any:
        now = self._clock()
        # Days since 1970-01-01 on the bank's calendar: "calls today" start at zero at the
        # bank's midnight (for UTC the same numbers as whole days of epoch seconds).
        day = local_date(now, self._zone).toordinal() - EPOCH_DAY
        return await self._scripts[name](args=[self._base, repr(now), day, *args])

    async def configure(
        self,
        *,
        strategies: Mapping[str, str],
        default_strategy: str,
        level_weight: float,
        load_weight: float,
        wrap_up_seconds: float,
    ) -> None:
        """Store what the scripts need of the policy: strategy per skill, weights, wrap-up."""
        mapping: dict[str, str] = {"*": default_strategy, **strategies}
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key("strategy"), mapping=mapping)
            pipe.hset(
                self.key("policy"),
                mapping={"level": level_weight, "load": load_weight, "wrap": wrap_up_seconds},
            )
            await pipe.execute()

    async def put(
        self,
        agent_id: str,
        *,
        doc: str,
        pools: Sequence[str],
        rosters: Sequence[str],
        callback_rosters: Sequence[str],
        mode: str,
        expected_version: int | None = None,
        initial_state: str = "available",
    ) -> tuple[str, int]:
        """Create/update an agent; ('ok', version), ('exists'|'missing'|'conflict', version)."""
        reply = await self._run(
            "put_agent",
            agent_id,
            mode,
            "" if expected_version is None else str(expected_version),
            doc,
            " ".join(pools),
            " ".join(rosters),
            " ".join(callback_rosters),
            initial_state,
        )
        status = _text(reply[0])
        return status, int(_text(reply[1])) if len(reply) > 1 else 0

    async def remove(self, agent_id: str, *, expected_version: int | None = None) -> str:
        """Remove an agent: 'ok', 'missing', 'conflict' or 'busy'."""
        ev = "" if expected_version is None else str(expected_version)
        reply = await self._run("remove_agent", agent_id, ev)
        return _text(reply[0])

    async def set_state(
        self, agent_id: str, state: str, *, expected_version: int | None = None
    ) -> tuple[str, str | None, int]:
        """Change an agent's state: (status, previous state, version)."""
        ev = "" if expected_version is None else str(expected_version)
        reply = await self._run("set_state", agent_id, state, ev)
        status = _text(reply[0])
        if status == "ok":
            return status, _text(reply[1]), int(_text(reply[2]))
        return status, None, int(_text(reply[1])) if len(reply) > 1 else 0

    async def get(self, agent_id: str) -> AgentRecord | None:
        """The stored agent, or None."""
        records = await self.get_many([agent_id])
        return records[0]

    async def get_many(self, agent_ids: Sequence[str]) -> list[AgentRecord | None]:
        """Several stored agents in one round trip (None where unknown)."""
        fields = ["doc", "state", "since", "version", "calls", "talk", "call", "seq"]
        async with self._redis.pipeline(transaction=False) as pipe:
            for agent_id in agent_ids:
                pipe.hmget(self.key("agent", agent_id), fields)
            rows = await pipe.execute()
        out: list[AgentRecord | None] = []
        for agent_id, row in zip(agent_ids, rows, strict=True):
            if row[0] is None:
                out.append(None)
                continue
            out.append(
                AgentRecord(
                    agent_id=agent_id,
                    doc=_text(row[0]),
                    state=_text(row[1]),
                    since=float(row[2] or 0),
                    version=int(row[3] or 0),
                    calls_today=int(row[4] or 0),
                    talk_seconds_today=float(row[5] or 0),
                    call_sid=_text(row[6]) if row[6] else None,
                    seq=int(row[7] or 0),
                )
            )
        return out

    async def agent_ids(self) -> list[str]:
        """Every registered agent id, sorted."""
        return sorted(_text(m) for m in await _settle(self._redis.smembers(self.key("agents"))))

    async def route(
        self,
        *,
        mode: str,
        call_sid: str,
        queue: str,
        queue_score: float,
        request_json: str,
        priority: int,
        pools: Sequence[str],
        sticky_agent: str | None = None,
        sticky_only: bool = False,
    ) -> RouteOutcome:
        """Reserve the best agent in `pools` for the caller, or hold them in `queue`."""
        reply = await self._run(
            "route",
            mode,
            call_sid,
            queue,
            repr(queue_score),
            request_json,
            priority,
            sticky_agent or "",
            "1" if sticky_only else "0",
            PER_POOL,
            CALL_TTL_SECONDS,
            *pools,
        )
        kind = _text(reply[0])
        if kind == "gone":
            return RouteOutcome(kind="gone")
        considered = [
            Considered(agent_id=_text(c[0]), score=float(_text(c[1])), pool=_text(c[2]))
            for c in reply[3]
        ]
        number = int(_text(reply[4]) or 0)
        if kind == "connect":
            score = float(_text(reply[2])) if _text(reply[2]) else None
            return RouteOutcome(
                kind=kind,
                agent_id=_text(reply[1]),
                score=score,
                considered=considered,
                decision_number=number,
            )
        return RouteOutcome(
            kind=kind, position=int(_text(reply[1])), considered=considered, decision_number=number
        )

    async def release(
        self, *, call_sid: str, agent_id: str, outcome: str, talk_seconds: float = 0.0
    ) -> tuple[str, str | None]:
        """Apply a dial result: ('ok'|'stale'|'unknown', the call's state before)."""
        reply = await self._run(
            "release", call_sid, agent_id, outcome, repr(float(talk_seconds)), HISTORY_LENGTH
        )
        return _text(reply[0]), _text(reply[1]) if len(reply) > 1 else None

    async def start_day(self) -> int:
        """At the first call of a new day, reset today's counters; agents re-scored."""
        return int(await self._run("new_day"))

    async def end_wrap_ups(self, limit: int = 500) -> list[str]:
        """Agents whose wrap-up ended now become available; returns their ids."""
        return [_text(a) for a in await self._run("end_wrap_ups", limit)]

    async def abandon(self, call_sid: str, *, final: str = "abandoned") -> tuple[str, str | None]:
        """The caller left the queue: (their state before, the agent released or None)."""
        reply = await self._run("abandon", call_sid, final)
        agent = _text(reply[1]) if len(reply) > 1 and reply[1] else None
        return _text(reply[0]), agent

    async def pick_callback_agent(self, roster: str) -> str | None:
        """The agent of `roster` ("skill:lang") with the lowest weighed callback load."""
        reply = await self._run("pick_callback_agent", roster)
        return _text(reply[0]) if reply else None

    async def promise_callback(
        self,
        *,
        roster: str,
        callback_id: str,
        number: str | None,
        head: str,
        due_at: float,
        keep_seconds: int,
        number_seconds: int,
        grace_seconds: float,
    ) -> tuple[str, str]:
        """Book a callback, or join the one `number` has pending: ('own'|'joined'|'new', JSON).

        `head` is the callback's JSON without `agent_id` and its closing brace; the script
        adds the agent it picks (lowest weighed callback load of `roster`).
        """
        reply = await self._run(
            "promise_callback",
            roster,
            callback_id,
            number or "",
            head,
            repr(float(due_at)),
            keep_seconds,
            number_seconds,
            repr(float(grace_seconds)),
        )
        return _text(reply[0]), _text(reply[1])

    async def release_callback(self, callback_id: str, number: str | None) -> tuple[bool, bool]:
        """A callback was done: (the number's record cleared, the agent's load lowered)."""
        reply = await self._run("release_callback", callback_id, number or "")
        return bool(int(reply[0])), bool(int(reply[1]))

    async def call(self, call_sid: str) -> dict[str, str]:
        """The routing record of one call (empty when unknown)."""
        raw = await _settle(self._redis.hgetall(self.key("call", call_sid)))
        return {_text(k): _text(v) for k, v in raw.items()}

    async def calls(self, call_sids: Sequence[str]) -> list[dict[str, str]]:
        """Several call records in one round trip."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for sid in call_sids:
                pipe.hgetall(self.key("call", sid))
            rows = await pipe.execute()
        return [{_text(k): _text(v) for k, v in row.items()} for row in rows]

    async def waiting(self, queue: str, limit: int = 50) -> list[str]:
        """The first `limit` callers waiting in `queue`, in the order they are served."""
        return [
            _text(m) for m in await self._redis.zrange(self.key("waiting", queue), 0, limit - 1)
        ]

    async def forget_waiting(self, queue: str, call_sids: Sequence[str]) -> None:
        """Drop callers from `queue` whose call records are gone."""
        await _settle(self._redis.zrem(self.key("waiting", queue), *call_sids))

    async def position(self, queue: str, call_sid: str) -> int | None:
        """1-based place of a caller in `queue`, or None when not waiting there."""
        rank = await _settle(self._redis.zrank(self.key("waiting", queue), call_sid))
        return None if rank is None else int(rank) + 1

    async def queue_length(self, queue: str) -> int:
        """How many callers wait in `queue`."""
        return int(await _settle(self._redis.zcard(self.key("waiting", queue))))

    async def queues(self) -> list[str]:
        """Queues with someone waiting."""
        return sorted(_text(m) for m in await _settle(self._redis.smembers(self.key("queues"))))

    async def available_in(self, pools: Sequence[str]) -> int:
        """How many available agents sit in `pools` (an agent may count once per pool)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for pool in pools:
                pipe.zcard(self.key("pool", pool))
            counts = await pipe.execute()
        return sum(int(c) for c in counts)

    async def on_duty(self, roster: str) -> int:
        """Agents not offline who have the roster's skill and language."""
        return int(await _settle(self._redis.scard(self.key("roster", roster))))

    async def declined(self, call_sid: str) -> int:
        """How many agents did not answer this call (they are not offered it again)."""
        return int(await _settle(self._redis.scard(self.key("tried", call_sid))))

    async def recent_handle_seconds(self, queue: str) -> list[float]:
        """Talk plus wrap-up seconds of the queue's recent calls, newest first."""
        raw = await _settle(self._redis.lrange(self.key("hist", queue), 0, HISTORY_LENGTH - 1))
        return [float(_text(v)) for v in raw]
