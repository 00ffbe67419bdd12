"""Routing fixtures: a Router on real Redis under the test's prefix, with a clock we move."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis

from ivr.events import EventLog
from ivr.keys import Keys
from ivr.routing.policy import Policy
from ivr.routing.router import Router
from tests.routing.routing_support import Clock, RouterFactory, small_policy


@pytest.fixture
def clock() -> Clock:
    """A hand-moved clock starting at a fixed instant."""
    return Clock()


@pytest.fixture
def make_router(redis: aioredis.Redis, keys: Keys, clock: Clock) -> RouterFactory:
    """Build a started Router with `small_policy(**overrides)` and an event log."""

    async def build(policy: Policy | None = None, **overrides: Any) -> Router:
        router = Router(
            redis=redis,
            keys=keys,
            policy=policy or small_policy(**overrides),
            events=EventLog(redis=redis, keys=keys),
            clock=clock,
        )
        await router.start()
        return router

    return build
