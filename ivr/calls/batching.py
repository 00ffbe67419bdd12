"""Automatic pipelining: the Lua calls of concurrent webhooks share one Redis round trip.

Under load, dozens of calls step at once in one process, and each step's two
scripts cost more in the round trip (a send, a wake-up, a future) than in
Redis. `ScriptBatcher.run` queues the call; everything queued while the event
loop works through its ready callbacks goes out as one write when they are
done. A lone call goes out on the very next loop turn, so a quiet service
answers as fast as before. Each script stays atomic in Redis, and the commands
of one connection run in order.

The batches travel on a connection of the batcher's own (`_Wire`), spoken with
hiredis directly: one write per batch, replies matched to callers in order, and
the next batch sent without waiting for the last one's replies. redis-py's
pipeline (a pooled connection, command objects, its locks and retries per
batch) cost more than our whole menu step besides; it stays the route for TLS
connections, and for loading a script that Redis has forgotten.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import SSLConnection, UnixDomainSocketConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

Arg = str | int | bytes

REPLY_TIMEOUT_SECONDS = 10.0  # a Redis that stops answering fails its calls, never hangs them
CONNECT_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class LuaScript:
    """A script's source and its SHA1, the name Redis knows it by."""

    source: str

    @functools.cached_property
    def sha(self) -> str:
        return hashlib.sha1(self.source.encode()).hexdigest()


@dataclass
class _Queued:
    script: LuaScript
    keys: Sequence[Arg]
    args: Sequence[Arg]
    future: asyncio.Future[object]
    reloaded: bool = False  # the script was loaded again for this call once already


class ScriptBatcher:
    """Runs Lua scripts by EVALSHA, batching the ones queued in the same loop turn.

    `direct=False` sends the batches through redis-py's pipeline instead of the
    batcher's own connection (the default only for TLS).
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        direct: bool | None = None,
        reply_timeout: float = REPLY_TIMEOUT_SECONDS,
    ) -> None:
        self._redis = redis
        self._reply_timeout = reply_timeout
        pool = redis.connection_pool
        self._direct = (
            not issubclass(pool.connection_class, SSLConnection) if direct is None else direct
        )
        self._queue: list[_Queued] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wire: _Wire | None = None
        # One SCRIPT LOAD per script after Redis forgot them, however many calls heard NOSCRIPT.
        self._loading: dict[str, asyncio.Future[None]] = {}

    async def run(self, script: LuaScript, keys: Sequence[Arg], args: Sequence[Arg]) -> object:
        """The script's reply; raises what Redis raised for this call."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # calls queued on a loop that has since closed are dropped
            self._loop, self._queue = loop, []
            self._abandon_wire()
        future: asyncio.Future[object] = loop.create_future()
        self._enqueue(_Queued(script, keys, args, future))
        return await future

    def _enqueue(self, item: _Queued) -> None:
        if not self._queue:
            asyncio.get_running_loop().call_soon(self._flush)
        self._queue.append(item)

    async def aclose(self) -> None:
        """Close the batcher's own connection (calls still waiting hear ConnectionError)."""
        self._abandon_wire()

    def _flush(self) -> None:
        batch, self._queue = self._queue, []
        if not batch:
            return
        wire = self._wire
        if self._direct and wire is not None and wire.open:
            wire.send(batch)  # the usual case: no task, no await
            return
        send = self._connect_and_send if self._direct else self._send_by_pipeline
        task = asyncio.get_running_loop().create_task(send(batch))
        self._tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self._tasks.discard)

    # ---- our own connection ------------------------------------------------------------

    async def _connect_and_send(self, batch: list[_Queued]) -> None:
        try:
            wire = await self._connected()
        except Exception as exc:  # unreachable: every call in the batch hears it
            _fail(batch, exc)
            return
        wire.send(batch)

    async def _connected(self) -> _Wire:
        wire = self._wire
        if wire is None or wire.closed:  # the first batch connects; later ones wait for it
            pool = self._redis.connection_pool
            wire = self._wire = _Wire(
                pool.connection_kwargs,
                pool.connection_class,
                reply_timeout=self._reply_timeout,
                on_noscript=self._on_noscript,
            )
        await wire.ready
        return wire

    def _abandon_wire(self) -> None:
        wire, self._wire = self._wire, None
        if wire is not None:
            wire.close()

    def _on_noscript(self, item: _Queued) -> None:
        """Redis restarted or was flushed: load the script again and retry this call."""
        task = asyncio.get_running_loop().create_task(self._reload_and_retry(item))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- redis-py's pipeline (TLS) -----------------------------------------------------

    async def _send_by_pipeline(self, batch: list[_Queued]) -> None:
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for item in batch:
                    pipe.execute_command(
                        "EVALSHA", item.script.sha, len(item.keys), *item.keys, *item.args
                    )
                replies = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the connection failed: every call in the batch hears it
            _fail(batch, exc)
            return
        for item, reply in zip(batch, replies, strict=True):
            if item.future.done():  # its webhook was cancelled meanwhile
                continue
            if isinstance(reply, NoScriptError):
                self._on_noscript(item)
            elif isinstance(reply, BaseException):
                item.future.set_exception(reply)
            else:
                item.future.set_result(reply)

    async def _reload_and_retry(self, item: _Queued) -> None:
        """Load the script (once for every call waiting on it), then queue the call again."""
        if item.reloaded:  # loaded, and still missing: do not go round again
            if not item.future.done():
                item.future.set_exception(NoScriptError("script missing after SCRIPT LOAD"))
            return
        item.reloaded = True
        loading = self._loading.get(item.script.sha)
        if loading is None:
            loading = asyncio.get_running_loop().create_future()
            self._loading[item.script.sha] = loading
            try:
                await self._redis.script_load(item.script.source)
            except Exception as exc:
                loading.set_exception(exc)
            else:
                loading.set_result(None)
            finally:
                del self._loading[item.script.sha]
        try:
            await asyncio.shield(loading)
        except Exception as exc:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        if not item.future.done():
            self._enqueue(item)  # back into the next batch, as any call


def _fail(batch: Sequence[_Queued], exc: BaseException) -> None:
    for item in batch:
        if not item.future.done():
            item.future.set_exception(exc)


def _command(*parts: Arg) -> bytes:
    """One command in RESP, as Redis reads it: packed by hiredis, in C.

    Packing each webhook's two scripts byte by byte in Python cost more than any
    other function of the menu step.
    """
    # hiredis.pyi types `cmd` as a 1-tuple; it packs a command of any length.
    packed: bytes = hiredis.pack_command(parts)  # type: ignore[arg-type]
    return packed


def _evalsha(item: _Queued) -> bytes:
    return _command("EVALSHA", item.script.sha, len(item.keys), *item.keys, *item.args)


def _error(reply: hiredis.ReplyError) -> ResponseError:
    message = str(reply)
    if message.startswith("NOSCRIPT"):
        return NoScriptError(message)
    return ResponseError(message.removeprefix("ERR "))


class _Wire(asyncio.Protocol):
    """One connection to Redis: batches written as they come, replies matched in order."""

    def __init__(
        self,
        settings: dict[str, Any],
        connection_class: type[Any],
        *,
        reply_timeout: float,
        on_noscript: Callable[[_Queued], None],
    ) -> None:
        self._reader = hiredis.Reader()
        self._reply_timeout = reply_timeout
        self._on_noscript = on_noscript
        self._transport: asyncio.Transport | None = None
        self._waiting: collections.deque[tuple[_Queued, float]] = collections.deque()
        self._timer: asyncio.TimerHandle | None = None
        self.closed = False
        self._introduced = False
        loop = asyncio.get_running_loop()
        self._loop = loop
        self.ready: asyncio.Task[None] = loop.create_task(self._connect(settings, connection_class))

    @property
    def open(self) -> bool:
        """Connected and introduced (AUTH, SELECT done): batches may go straight out."""
        return self._introduced and self._transport is not None and not self.closed

    async def _connect(self, settings: dict[str, Any], connection_class: type[Any]) -> None:
        timeout = settings.get("socket_connect_timeout") or CONNECT_TIMEOUT_SECONDS
        try:
            async with asyncio.timeout(timeout):
                if issubclass(connection_class, UnixDomainSocketConnection):
                    await self._loop.create_unix_connection(lambda: self, settings["path"])
                else:
                    host, port = settings.get("host", "localhost"), settings.get("port", 6379)
                    await self._loop.create_connection(lambda: self, host, port)
            await self._introduce(settings)
            self._introduced = True
        except Exception as exc:
            self.close()
            if isinstance(exc, RedisConnectionError | ResponseError):
                raise
            raise RedisConnectionError(f"Error connecting to Redis: {exc}") from exc

    async def _introduce(self, settings: dict[str, Any]) -> None:
        """AUTH, SELECT and CLIENT SETNAME, as redis-py's own connections do."""
        commands: list[bytes] = []
        password, username = settings.get("password"), settings.get("username")
        if password:
            commands.append(
                _command("AUTH", username, password) if username else _command("AUTH", password)
            )
        if settings.get("db"):
            commands.append(_command("SELECT", settings["db"]))
        if settings.get("client_name"):
            commands.append(_command("CLIENT", "SETNAME", settings["client_name"]))
        futures = [self._loop.create_future() for _ in commands]
        if futures:
            self._send_raw(commands, futures)
            await asyncio.gather(*futures)  # a refusal (wrong password, no such db) raises

    def _send_raw(self, commands: list[bytes], futures: list[asyncio.Future[object]]) -> None:
        assert self._transport is not None
        now = time.monotonic()
        for future in futures:
            self._waiting.append((_Queued(_NO_SCRIPT, (), (), future), now))
        self._transport.write(b"".join(commands))
        self._arm_timer()

    def send(self, batch: list[_Queued]) -> None:
        """Write the batch's commands; each call's future gets its own reply."""
        transport = self._transport
        if transport is None or self.closed:
            _fail(batch, RedisConnectionError("Connection to Redis closed"))
            return
        now = time.monotonic()
        self._waiting.extend((item, now) for item in batch)
        transport.write(b"".join([_evalsha(item) for item in batch]))
        self._arm_timer()

    def _arm_timer(self) -> None:
        if self._timer is None:
            tick = min(1.0, self._reply_timeout / 2)
            self._timer = self._loop.call_later(tick, self._check_overdue)

    def _check_overdue(self) -> None:
        self._timer = None
        if not self._waiting:
            return
        if time.monotonic() - self._waiting[0][1] > self._reply_timeout:
            self._lost(RedisTimeoutError("Redis did not answer in time"))
            return
        self._arm_timer()

    # ---- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        waiting = self._waiting
        while (reply := reader.gets()) is not False:
            if not waiting:  # a reply nobody asked for: the stream is out of step
                self._lost(RedisConnectionError("unexpected reply from Redis"))
                return
            item, _ = waiting.popleft()
            if item.future.done():  # its webhook was cancelled meanwhile
                continue
            if isinstance(reply, hiredis.ReplyError):
                error = _error(reply)
                if isinstance(error, NoScriptError) and item.script is not _NO_SCRIPT:
                    self._on_noscript(item)
                else:
                    item.future.set_exception(error)
            else:
                item.future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost(RedisConnectionError(f"Connection to Redis lost: {exc or 'closed'}"))

    def _lost(self, error: Exception) -> None:
        self.closed = True
        transport, self._transport = self._transport, None
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.abort()
        waiting, self._waiting = self._waiting, collections.deque()
        _fail([item for item, _ in waiting], error)

    def close(self) -> None:
        self._lost(RedisConnectionError("Connection to Redis closed"))
        if not self.ready.done():
            with contextlib.suppress(Exception):
                self.ready.cancel()


_NO_SCRIPT = LuaScript("")  # the calls of `_introduce`, which are not scripts
