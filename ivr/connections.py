"""Connections to Redis: the shared client, a readiness wait, and the private redis-server.

With `IVR_REDIS_URL` empty, `ivr serve` runs a real redis-server of its own
(the Debian binary) with its data in the data dir, so a first run needs
nothing configured and agents and pending call events survive a restart.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis as syncredis
import redis.asyncio as aioredis
from redis.exceptions import BusyLoadingError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ivr.errors import ConfigError, UnavailableError

# Re-exported from their earlier home.
from ivr.private_redis import PrivateRedis as PrivateRedis
from ivr.private_redis import die_with_parent as die_with_parent
from ivr.private_redis import find_redis_server as find_redis_server
from ivr.private_redis import free_port as free_port
from ivr.private_redis import running_url

# Where Debian puts the binary when PATH (e.g. under a service manager) lacks /usr/bin.
_FALLBACK_BINARIES = (Path("/usr/bin/redis-server"), Path("/usr/sbin/redis-server"))
_URL_SCHEMES = ("redis://", "rediss://", "unix://")
_NOT_READY = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, OSError)
_PR_SET_PDEATHSIG = 1
_MAX_UNIX_SOCKET_PATH = 100  # sun_path holds 108 bytes on Linux
# No command we send blocks longer (the live channel's XREAD waits 5 s): a Redis that
# stops answering fails a call after this, never hangs it. Webhooks have a shorter
# deadline of their own (IVR_WEBHOOK_DEADLINE_SECONDS).
SOCKET_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 2.0


def redis_client(url: str) -> aioredis.Redis:
    """An asyncio Redis client for `url` (bytes in, bytes out, as the tests' clients)."""
    if not url:
        raise ConfigError("IVR_REDIS_URL is empty: give a redis:// URL (ivr serve starts its own)")
    if not url.startswith(_URL_SCHEMES):
        raise ConfigError(f"IVR_REDIS_URL must start with redis://, rediss:// or unix://: {url!r}")
    # A server that went away is noticed within this, not at the next call's timeout.
    client: aioredis.Redis
    if url.startswith("unix://"):  # same machine: no TCP keep-alive to ask for
        client = aioredis.Redis.from_url(
            url,
            decode_responses=False,
            health_check_interval=30,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    else:
        client = aioredis.Redis.from_url(
            url,
            decode_responses=False,
            health_check_interval=30,
            socket_keepalive=True,
            socket_timeout=SOCKET_TIMEOUT_SECONDS,
            socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
        )
    return client


async def wait_until_ready(client: aioredis.Redis, *, timeout: float = 10.0) -> None:
    """Return once Redis answers PING; UnavailableError naming the server after `timeout`."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if await client.ping():
                return
        except _NOT_READY as exc:
            last = exc
        await asyncio.sleep(0.05)
    raise UnavailableError(f"Redis ({_describe(client)}) did not answer within {timeout}s: {last}")


def check_reachable(url: str, *, timeout: float = 5.0) -> None:
    """Wait up to `timeout` for the Redis at IVR_REDIS_URL; errors name the setting."""
    if not url.startswith(_URL_SCHEMES):
        raise ConfigError(f"IVR_REDIS_URL must start with redis://, rediss:// or unix://: {url!r}")
    client = syncredis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    try:
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except _NOT_READY as exc:
                last = exc
            except RedisError as exc:  # e.g. a password is wanted: waiting will not help
                raise UnavailableError(f"IVR_REDIS_URL: {redact_url(url)}: {exc}") from exc
            time.sleep(0.1)
    finally:
        client.close()
    raise UnavailableError(f"IVR_REDIS_URL: {redact_url(url)} does not answer: {last}")


def redact_url(url: str) -> str:
    """`url` with any password replaced by ***, fit to print or log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _describe(client: aioredis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    if "path" in kwargs:
        return f"unix:{kwargs['path']}"
    return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"


def service_redis_url(configured: str, data_dir: Path) -> str:
    """IVR_REDIS_URL, else the private Redis of an `ivr serve` running from `data_dir`, else ""."""
    return configured or running_url(data_dir)
