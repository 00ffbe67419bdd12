"""Webhook deadlines, kept with one timer among all the webhooks in flight.

`asyncio.timeout(seconds)` arms a timer for each webhook and cancels it when the
webhook is answered, milliseconds later: at thousands of webhooks a second,
those timer handles (made, pushed on the loop's heap, cancelled, swept out of
it) were a noticeable part of a menu step. `Deadlines` gives each webhook an
`asyncio.Timeout` with no timer of its own and keeps one timer, set for the
earliest deadline held. When it fires, each webhook past its deadline has its
timeout expire there and then: the webhook ends with TimeoutError, exactly as
under `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math


class Deadlines:
    """The deadlines of the webhooks one process is answering."""

    def __init__(self) -> None:
        self._held: dict[asyncio.Timeout, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = math.inf

    def hold(self, seconds: float) -> asyncio.Timeout:
        """A timeout that expires `seconds` from now: enter it at once, `release` it after."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # deadlines held on a loop since closed are forgotten
            self._loop, self._held, self._timer, self._timer_at = loop, {}, None, math.inf
        when = loop.time() + seconds
        timeout = asyncio.timeout(None)
        self._held[timeout] = when
        if when < self._timer_at:  # nearly always later than the one the timer is set for
            self._arm(loop, when)
        return timeout

    def release(self, timeout: asyncio.Timeout) -> None:
        """Forget `timeout`: its webhook is answered (or has passed its deadline)."""
        self._held.pop(timeout, None)

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_at = loop.call_at(when, self._expire), when

    def _expire(self) -> None:
        self._timer, self._timer_at = None, math.inf
        loop = asyncio.get_running_loop()
        now = loop.time()
        for timeout, when in list(self._held.items()):
            if when <= now:
                del self._held[timeout]
                with contextlib.suppress(RuntimeError):  # left its `async with` already
                    timeout.reschedule(now)  # expires on the loop's next turn
        if self._held:
            self._arm(loop, min(self._held.values()))
