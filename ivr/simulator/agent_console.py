"""Ringing an agent's browser console, as Twilio rings a registered Voice SDK client.

Without Twilio, the service's console (/console) stands in for the agent's
softphone. When `<Dial>` names a `<Client>`, the simulator asks the service,
over HTTP and signed like any webhook, whether that agent's console is open;
if so it keeps ringing until the agent answers or declines on the page, or
the Dial's timeout passes, and once answered holds the line until the agent
ends the call there. The `<Dial>` outcome follows: completed, busy or
no-answer. With no console open, the simulator's own agent answers instead.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from ivr.simulator.carrier_requests import CarrierRequests
from ivr.simulator.record import Exchange
from ivr.simulator.verbs import Dial, DialTarget

RING_PATH = "/sim/console/ring"
TALK_PATH = "/sim/console/talk"
LONGEST_WAIT = 8  # seconds one request may wait on the service, below the HTTP timeout


@dataclass(frozen=True)
class ConsoleAnswer:
    """What the agent did on the console: answered (and talked `seconds`), busy or no-answer."""

    status: str
    seconds: float = 0.0


def _answer(exchange: Exchange) -> dict[str, object] | None:
    if exchange.error or not exchange.body:
        return None
    try:
        value = json.loads(exchange.body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def ring_console(
    webhooks: CarrierRequests,
    *,
    doc_url: str,
    call_sid: str,
    target: DialTarget,
    dial: Dial,
    clock: Callable[[], float] = time.monotonic,
) -> ConsoleAnswer | None:
    """Ring `target`'s console; None when the service has no console open for it."""
    params = {"CallSid": call_sid, "Identity": target.address}
    params |= {f"Parameter.{name}": value for name, value in target.parameters}
    ring_url, talk_url = urljoin(doc_url, RING_PATH), urljoin(doc_url, TALK_PATH)
    deadline = clock() + dial.timeout
    first = True
    while True:
        remaining = deadline - clock()
        if remaining < 1:
            return ConsoleAnswer("no-answer")
        wait = str(int(min(remaining, LONGEST_WAIT)))
        exchange = await webhooks.send(
            purpose="console", url=ring_url, method="POST", params={**params, "Wait": wait}
        )
        answer = _answer(exchange)
        if answer is None or not answer.get("console"):
            # No console (or an older service): the simulator's agent takes the call. A
            # console that went away while ringing leaves the call unanswered.
            return None if first else ConsoleAnswer("no-answer")
        first = False
        if answer.get("outcome") == "busy":
            return ConsoleAnswer("busy")
        if answer.get("outcome") == "answered":
            break
    answered = clock()
    while clock() - answered < dial.time_limit:
        exchange = await webhooks.send(
            purpose="console", url=talk_url, method="POST", params=params
        )
        answer = _answer(exchange)
        if answer is None or answer.get("ended"):
            break  # ended on the console, or the service went away: the line drops
    return ConsoleAnswer("completed", seconds=clock() - answered)
