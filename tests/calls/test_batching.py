"""ScriptBatcher against the real Redis: batched, in order, errors kept to their own call."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from ivr.calls.batching import LuaScript, ScriptBatcher
from tests.conftest import REDIS_URL

INCR = LuaScript("return redis.call('incrby', KEYS[1], ARGV[1])")
FAIL_ON_NEGATIVE = LuaScript(
    "if tonumber(ARGV[1]) < 0 then return redis.error_reply('negative') end return ARGV[1]"
)


async def _connections_named(name: str) -> int:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        clients = await probe.client_list()
        return sum(1 for c in clients if c.get("name") == name)
    finally:
        await probe.aclose()


async def test_concurrent_calls_share_round_trips_and_each_gets_its_own_reply(
    redis_prefix: str,
) -> None:
    name = f"batch-{uuid.uuid4().hex[:8]}"
    client = aioredis.Redis.from_url(REDIS_URL, client_name=name)
    batcher = ScriptBatcher(client)
    try:
        keys = [f"{redis_prefix}n{i % 7}" for i in range(300)]
        replies = await asyncio.gather(
            *(batcher.run(INCR, [key], [i]) for i, key in enumerate(keys))
        )
        # Without batching, 300 concurrent commands would open ~300 connections.
        assert 1 <= await _connections_named(name) <= 3
        for n in range(7):
            mine = [i for i in range(300) if i % 7 == n]
            # Each reply is the running total of its key in submission order.
            assert [replies[i] for i in mine] == [sum(mine[: j + 1]) for j in range(len(mine))]
    finally:
        await client.aclose()


async def test_a_failing_script_fails_only_its_own_call(redis: aioredis.Redis) -> None:
    batcher = ScriptBatcher(redis)
    results = await asyncio.gather(
        *(batcher.run(FAIL_ON_NEGATIVE, [], [v]) for v in (1, -1, 2)), return_exceptions=True
    )
    assert results[0] == b"1" and results[2] == b"2"
    assert isinstance(results[1], ResponseError) and "negative" in str(results[1])


async def test_scripts_forgotten_by_redis_are_loaded_again(
    redis: aioredis.Redis, redis_prefix: str
) -> None:
    batcher = ScriptBatcher(redis)
    assert await batcher.run(INCR, [f"{redis_prefix}k"], [2]) == 2
    await redis.script_flush()  # as after a Redis restart
    replies = await asyncio.gather(*(batcher.run(INCR, [f"{redis_prefix}k"], [1]) for _ in "ab"))
    assert sorted(replies) == [3, 4]  # type: ignore[type-var]


async def test_an_unreachable_redis_fails_every_call_of_the_batch() -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    batcher = ScriptBatcher(client)
    try:
        results = await asyncio.gather(
            *(batcher.run(INCR, ["k"], [1]) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError) for r in results), results
    finally:
        await client.aclose()


async def test_a_lone_call_goes_out_without_waiting_for_company(redis: aioredis.Redis) -> None:
    batcher = ScriptBatcher(redis)
    reply = await asyncio.wait_for(batcher.run(FAIL_ON_NEGATIVE, [], [1]), timeout=5)
    assert reply == b"1"


def test_a_batcher_outlives_its_event_loop(redis_prefix: str) -> None:
    # A call queued on a loop that closed before its batch went out must not stall the
    # next loop's calls (each test, and each restart of a worker, runs a new loop).
    client = aioredis.Redis.from_url(REDIS_URL)
    batcher = ScriptBatcher(client)
    first = asyncio.new_event_loop()

    async def queue_then_stop() -> None:
        step = batcher.run(INCR, [f"{redis_prefix}x"], [1])
        step.send(None)  # runs up to its await: the call is queued and its flush scheduled
        step.close()
        first.stop()  # ... and the loop ends before the flush runs

    with contextlib.suppress(RuntimeError):
        first.run_until_complete(queue_then_stop())
    first.close()

    async def later() -> object:
        try:
            return await asyncio.wait_for(batcher.run(INCR, [f"{redis_prefix}y"], [5]), 5)
        finally:
            await client.aclose()

    assert asyncio.run(later()) == 5
