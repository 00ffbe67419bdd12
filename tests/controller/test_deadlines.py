"""Deadlines: each webhook ends with TimeoutError at its own deadline, as under asyncio.timeout."""

from __future__ import annotations

import asyncio

import pytest

from ivr.controller.deadlines import Deadlines


async def _within(deadlines: Deadlines, seconds: float, work: float) -> str:
    deadline = deadlines.hold(seconds)
    try:
        async with deadline:
            await asyncio.sleep(work)
            return "answered"
    except TimeoutError:
        return "timed out"
    finally:
        deadlines.release(deadline)


async def test_work_done_in_time_is_answered_and_the_deadline_let_go() -> None:
    deadlines = Deadlines()
    assert await _within(deadlines, 5.0, 0.0) == "answered"
    assert deadlines._held == {}


async def test_each_webhook_ends_at_its_own_deadline_whatever_the_order_they_came_in() -> None:
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    began = loop.time()
    slow = asyncio.create_task(_within(deadlines, 0.3, 30.0))
    quick = asyncio.create_task(_within(deadlines, 5.0, 0.01))
    sooner = asyncio.create_task(_within(deadlines, 0.1, 30.0))  # earlier than the first
    assert await sooner == "timed out"
    assert loop.time() - began >= 0.1
    assert not slow.done()
    assert await quick == "answered"
    assert await slow == "timed out"
    assert loop.time() - began >= 0.3
    assert deadlines._held == {}


async def test_a_webhook_cancelled_from_outside_is_cancelled_not_timed_out() -> None:
    deadlines = Deadlines()
    task = asyncio.create_task(_within(deadlines, 5.0, 30.0))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert deadlines._held == {}
