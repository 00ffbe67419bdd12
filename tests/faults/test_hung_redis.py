"""Redis hung (SIGSTOP) and then killed mid-call: callers hear an apology in time, nothing is lost.

A private redis-server of the test's own is stopped and killed for real; the
carrier gives up on a webhook as Twilio does when no answer comes in time.
"""

from __future__ import annotations

import os
import signal

from ivr.connections import PrivateRedis
from ivr.simulator import verbs
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.script import Hangup, Press, Wait
from ivr.simulator.script import ScriptStep as ScriptStep
from tests.faults.audit import dead_air, missing_events
from tests.telephony.conftest import Service


class FreezesRedis(ScriptedCaller):
    """A caller during whose call Redis hangs at the menu and wakes in the queue."""

    def __init__(self, steps: list[ScriptStep], redis_pid: int) -> None:
        super().__init__(steps)
        self.redis_pid = redis_pid
        self.gathers = 0

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        self.gathers += 1
        if self.gathers == 2:  # the main menu: the key press meets a hung Redis
            os.kill(self.redis_pid, signal.SIGSTOP)
        return await super().at_gather(gather)

    async def after_wait_round(self, round_number: int) -> bool:
        if round_number == 1:
            os.kill(self.redis_pid, signal.SIGCONT)
        return await super().after_wait_round(round_number)


async def test_a_hung_then_killed_redis_never_leaves_a_caller_without_an_answer(
    private_service: tuple[Service, PrivateRedis],
) -> None:
    service, private = private_service
    assert private.pid is not None
    carrier = service.carrier()
    hung = await carrier.place_call(
        caller_input=FreezesRedis([Press("1"), Press("3"), Wait(2), Hangup()], private.pid)
    )
    # Every webhook was answered before the carrier gave up; the hung one with the apology.
    assert hung.errors == [], hung.errors
    assert "<Enqueue" in hung.requests[2].body and "<Say" in hung.requests[2].body

    # Killed outright between calls, then back (as `ivr serve`'s watchdog brings it back).
    os.kill(private.pid, signal.SIGKILL)
    gone = await carrier.place_call([Press("1"), Press("3"), Wait(1), Hangup()])
    assert gone.errors == [], gone.errors
    private.revive()
    after = await carrier.place_call([Press("1"), Press("3"), Wait(1), Hangup()])
    assert after.errors == []

    assert dead_air([hung, gone, after]) == []
    async with service.api() as api:
        # The call that met a hung Redis and the one after it left whole tickets; the
        # one placed while Redis was dead could write nothing anywhere, and was answered.
        assert await missing_events(api, [hung, after]) == []
