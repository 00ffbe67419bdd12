"""Automatic pipelining: the Lua calls of concurrent webhooks share one Redis round trip.

Under load, dozens of calls step at once in one process, and each step's two
scripts cost more in the round trip (a send, a wake-up, a future) than in
Redis. `ScriptBatcher.run` queues the call; everything queued while the event
loop works through its ready callbacks goes out as one pipeline when they are
done. A lone call goes out on the very next loop turn, so a quiet service
answers as fast as before. Each script stays atomic in Redis, and the commands
of one pipeline run in order on one connection.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError

Arg = str | int | bytes


@dataclass(frozen=True)
class LuaScript:
    """A script's source and its SHA1, the name Redis knows it by."""

    source: str

    @property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()


@dataclass
class _Queued:
    script: LuaScript
    keys: Sequence[Arg]
    args: Sequence[Arg]
    future: asyncio.Future[object]


class ScriptBatcher:
    """Runs Lua scripts by EVALSHA, batching the ones queued in the same loop turn."""

    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis
        self._queue: list[_Queued] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run(self, script: LuaScript, keys: Sequence[Arg], args: Sequence[Arg]) -> object:
        """The script's reply; raises what Redis raised for this call."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # calls queued on a loop that has since closed are dropped
            self._loop, self._queue = loop, []
        future: asyncio.Future[object] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append(_Queued(script, keys, args, future))
        return await future

    def _flush(self) -> None:
        batch, self._queue = self._queue, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._send(batch))
            self._tasks.add(task)  # keep a reference until it is done
            task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Queued]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for item in batch:
                    pipe.execute_command(
                        "EVALSHA", item.script.sha, len(item.keys), *item.keys, *item.args
                    )
                replies = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the connection failed: every call in the batch hears it
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        for item, reply in zip(batch, replies, strict=True):
            if item.future.done():  # its webhook was cancelled meanwhile
                continue
            if isinstance(reply, NoScriptError):  # Redis restarted or was flushed
                await self._reload_and_retry(item)
            elif isinstance(reply, BaseException):
                item.future.set_exception(reply)
            else:
                item.future.set_result(reply)

    async def _reload_and_retry(self, item: _Queued) -> None:
        try:
            await self._redis.script_load(item.script.source)
            reply = await self._redis.execute_command(  # type: ignore[no-untyped-call]
                "EVALSHA", item.script.sha, len(item.keys), *item.keys, *item.args
            )
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            item.future.set_result(reply)
