"""ScriptBatcher against the real Redis: batched, in order, errors kept to their own call."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
import uvloop
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ivr.calls.batching import LuaScript, ScriptBatcher, _command
from tests.conftest import REDIS_URL

INCR = LuaScript("return redis.call('incrby', KEYS[1], ARGV[1])")
FAIL_ON_NEGATIVE = LuaScript(
    "if tonumber(ARGV[1]) < 0 then return redis.error_reply('negative') end return ARGV[1]"
)


def test_a_command_is_packed_as_redis_reads_it() -> None:
    # RESP: the count of parts, then each as its length in bytes and the bytes (UTF-8).
    assert _command("SET", "k", 10, b"\xff", "", "中") == (
        b"*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n10\r\n$1\r\n\xff\r\n$0\r\n\r\n$3\r\n\xe4\xb8\xad\r\n"
    )


@pytest.fixture(params=[True, False], ids=["own-connection", "redis-py-pipeline"])
async def batcher(
    request: pytest.FixtureRequest, redis: aioredis.Redis
) -> AsyncIterator[ScriptBatcher]:
    scripts = ScriptBatcher(redis, direct=request.param)
    yield scripts
    await scripts.aclose()


async def _connections_named(name: str) -> int:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        clients = await probe.client_list()
        return sum(1 for c in clients if c.get("name") == name)
    finally:
        await probe.aclose()


@pytest.mark.parametrize("direct", [True, False], ids=["own-connection", "redis-py-pipeline"])
async def test_concurrent_calls_share_round_trips_and_each_gets_its_own_reply(
    redis_prefix: str, direct: bool
) -> None:
    name = f"batch-{uuid.uuid4().hex[:8]}"
    client = aioredis.Redis.from_url(REDIS_URL, client_name=name)
    batcher = ScriptBatcher(client, direct=direct)
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
        await batcher.aclose()
        await client.aclose()


async def test_a_failing_script_fails_only_its_own_call(batcher: ScriptBatcher) -> None:
    results = await asyncio.gather(
        *(batcher.run(FAIL_ON_NEGATIVE, [], [v]) for v in (1, -1, 2)), return_exceptions=True
    )
    assert results[0] == b"1" and results[2] == b"2"
    assert isinstance(results[1], ResponseError) and "negative" in str(results[1])


async def test_scripts_forgotten_by_redis_are_loaded_again(
    batcher: ScriptBatcher, redis: aioredis.Redis, redis_prefix: str
) -> None:
    assert await batcher.run(INCR, [f"{redis_prefix}k"], [2]) == 2
    await redis.script_flush()  # as after a Redis restart
    replies = await asyncio.gather(*(batcher.run(INCR, [f"{redis_prefix}k"], [1]) for _ in "ab"))
    assert sorted(replies) == [3, 4]  # type: ignore[type-var]


async def _script_commands(redis: aioredis.Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_script|load", {}).get("calls", 0))


async def test_a_forgotten_script_is_loaded_once_for_all_waiting_calls(
    batcher: ScriptBatcher, redis: aioredis.Redis, redis_prefix: str
) -> None:
    await redis.script_flush()  # Redis restarted under load: every queued call hears NOSCRIPT
    before = await _script_commands(redis)
    replies = await asyncio.gather(
        *(batcher.run(INCR, [f"{redis_prefix}many"], [1]) for _ in range(200))
    )
    assert sorted(replies) == list(range(1, 201))  # type: ignore[type-var]
    # One SCRIPT LOAD, not 200; the count is the shared Redis's, which other processes
    # (a test's persister still stopping) may add a load or two to.
    assert await _script_commands(redis) - before <= 3


@pytest.mark.parametrize("direct", [True, False], ids=["own-connection", "redis-py-pipeline"])
async def test_an_unreachable_redis_fails_every_call_of_the_batch(direct: bool) -> None:
    client = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    batcher = ScriptBatcher(client, direct=direct)
    try:
        results = await asyncio.gather(
            *(batcher.run(INCR, ["k"], [1]) for _ in range(3)), return_exceptions=True
        )
        assert all(isinstance(r, RedisConnectionError) for r in results), results
    finally:
        await client.aclose()


async def test_a_lone_call_goes_out_without_waiting_for_company(batcher: ScriptBatcher) -> None:
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
            await batcher.aclose()
            await client.aclose()

    assert asyncio.run(later()) == 5


async def _client_ids(name: str) -> list[str]:
    probe = aioredis.Redis.from_url(REDIS_URL)
    try:
        return [c["id"] for c in await probe.client_list() if c.get("name") == name]
    finally:
        await probe.aclose()


async def test_a_dropped_connection_is_replaced_for_the_next_call(redis_prefix: str) -> None:
    name = f"drop-{uuid.uuid4().hex[:8]}"
    client = aioredis.Redis.from_url(REDIS_URL, client_name=name)
    batcher = ScriptBatcher(client, direct=True)
    try:
        assert await batcher.run(INCR, [f"{redis_prefix}c"], [1]) == 1
        [first] = await _client_ids(name)
        probe = aioredis.Redis.from_url(REDIS_URL)
        try:
            await probe.execute_command("CLIENT", "KILL", "ID", first)
        finally:
            await probe.aclose()
        await asyncio.sleep(0.1)  # the close reaches us
        assert await batcher.run(INCR, [f"{redis_prefix}c"], [1]) == 2
        [second] = await _client_ids(name)
        assert second != first
    finally:
        await batcher.aclose()
        await client.aclose()


async def test_the_url_database_is_selected(redis_prefix: str) -> None:
    url = REDIS_URL.rsplit("/", 1)[0] + "/3"
    client = aioredis.Redis.from_url(url)
    batcher = ScriptBatcher(client, direct=True)
    key = f"{redis_prefix}db"
    try:
        assert await batcher.run(INCR, [key], [7]) == 7
        assert await client.get(key) == b"7"
        db0 = aioredis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/0")
        try:
            assert await db0.get(key) is None
        finally:
            await db0.aclose()
    finally:
        await client.delete(key)
        await batcher.aclose()
        await client.aclose()


async def test_a_refused_password_fails_the_calls_with_redis_words() -> None:
    client = aioredis.Redis.from_url(REDIS_URL.replace("redis://", "redis://:wrong@"))
    batcher = ScriptBatcher(client, direct=True)
    try:
        with pytest.raises(ResponseError, match="AUTH"):
            await batcher.run(INCR, ["k"], [1])
    finally:
        await batcher.aclose()
        await client.aclose()


async def _server(on_data: str) -> tuple[asyncio.Server, int]:
    """A TCP peer that takes commands and never answers ("silent") or hangs up ("hang-up")."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)
            if on_data == "silent":
                await reader.read()  # until the client goes away
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


@pytest.mark.parametrize(
    ("peer", "error"), [("silent", RedisTimeoutError), ("hang-up", RedisConnectionError)]
)
async def test_a_server_that_does_not_answer_fails_the_waiting_calls(
    peer: str, error: type[Exception]
) -> None:
    server, port = await _server(peer)
    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    batcher = ScriptBatcher(client, direct=True, reply_timeout=0.3)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                *(batcher.run(INCR, ["k"], [1]) for _ in range(3)), return_exceptions=True
            ),
            timeout=5,
        )
        assert all(isinstance(r, error) for r in results), results
    finally:
        await batcher.aclose()
        await client.aclose()
        server.close()
        await server.wait_closed()


def test_the_service_event_loop_uvloop_carries_the_batches(redis_prefix: str) -> None:
    # `ivr serve` runs on uvloop, whose transports are its own classes.
    async def scenario() -> list[object]:
        client = aioredis.Redis.from_url(REDIS_URL)
        batcher = ScriptBatcher(client, direct=True)
        try:
            return list(
                await asyncio.gather(
                    *(batcher.run(INCR, [f"{redis_prefix}uv"], [1]) for _ in range(20))
                )
            )
        finally:
            await batcher.aclose()
            await client.aclose()

    assert sorted(uvloop.run(scenario())) == list(range(1, 21))  # type: ignore[type-var]


async def test_calls_made_while_connecting_wait_for_the_database_to_be_selected(
    redis_prefix: str,
) -> None:
    # Batches flushed between the socket connecting and SELECT being answered must not
    # run on database 0.
    client = aioredis.Redis.from_url(REDIS_URL.rsplit("/", 1)[0] + "/3")
    batcher = ScriptBatcher(client, direct=True)
    key = f"{redis_prefix}connecting"
    calls: list[asyncio.Task[object]] = []
    try:
        for _ in range(200):
            calls.append(asyncio.create_task(batcher.run(INCR, [key], [1])))
            await asyncio.sleep(0)  # one loop turn: a flush of its own
        await asyncio.gather(*calls)
        assert await client.get(key) == b"200"
    finally:
        await client.delete(key)
        await batcher.aclose()
        await client.aclose()
