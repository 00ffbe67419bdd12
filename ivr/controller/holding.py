"""Holding a caller while our worker answers: "one moment", then the call polls.

The describe step waits for a recording's transcript, a message for the check of
whether it held speech. Each poll holds its request up to POLL_HOLD_SECONDS (well
inside IVR_WEBHOOK_DEADLINE_SECONDS), so the caller moves on as soon as the answer
lands, with far fewer carrier round trips than bare polling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ivr.controller.webhook import Webhook

POLL_HOLD_SECONDS = 1.0  # how long one poll waits inside the request
POLL_EVERY_SECONDS = 0.1

T = TypeVar("T")


def poll_again(webhook: Webhook) -> None:
    """A short pause, then the carrier asks `/twilio/transcribing` again."""
    webhook.response.pause(length=1)
    webhook.response.redirect(webhook.url("/twilio/transcribing"), method="POST")


async def wait_for(
    read: Callable[[], Awaitable[T | None]], *, until: float, clock: Callable[[], float]
) -> T | None:
    """What `read` answers, asking again inside this request until the `clock` says `until`."""
    while True:
        found = await read()
        if found is not None or clock() >= until:
            return found
        await asyncio.sleep(POLL_EVERY_SECONDS)
