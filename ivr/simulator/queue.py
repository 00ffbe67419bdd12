"""`<Enqueue>`: the wait-URL loop, until `<Leave>`, a hang-up or the round limit.

Twilio requests the waitUrl, plays what it returns (Say, Play, Pause, Gather,
Redirect, Leave, Hangup), and requests it again when that document ends. When the
caller leaves the queue it requests the Enqueue action with QueueResult and
QueueTime, or goes on with the verb after `<Enqueue>` when there is no action.
"""

from __future__ import annotations

from typing import Protocol
from urllib.parse import urljoin

from ivr.simulator import verbs
from ivr.simulator.call_setup import CallEnded, Jump, Limits
from ivr.simulator.callers import CallerInput
from ivr.simulator.carrier_requests import new_sid
from ivr.simulator.record import Exchange

HOLD_MUSIC_SECONDS = 30.0
MAX_QUEUE_SIZE = "100"


class QueuedCall(Protocol):
    """What the wait loop needs of the call it holds (ivr.simulator.session.CallSession).

    A protocol rather than the class: the session drives this loop, so the loop
    must not import the session back.
    """

    @property
    def clock(self) -> float:
        """Seconds since the call began."""
        ...

    @property
    def limits(self) -> Limits:
        """The call's bounds."""
        ...

    @property
    def caller_input(self) -> CallerInput:
        """Who answers the carrier's questions."""
        ...

    def note(self, text: str) -> None:
        """Keep a remark on the call's record."""
        ...

    def hear(self, kind: str, text: str = "", *, language: str = "", voice: str = "") -> None:
        """The caller hears something."""
        ...

    def count_verb(self) -> None:
        """One more verb executed."""
        ...

    async def advance(self, seconds: float) -> None:
        """Let simulated time pass."""
        ...

    async def send(self, purpose: str, url: str, method: str, extra: dict[str, str]) -> Exchange:
        """One signed request to the service."""
        ...

    async def fetch(self, jump: Jump) -> list[verbs.Verb]:
        """Request a document and parse its verbs."""
        ...

    async def prompt(self, verb: verbs.Say | verbs.Play | verbs.Pause) -> None:
        """Play a prompt verb."""
        ...

    async def gather(self, doc_url: str, gather: verbs.Gather) -> Jump | None:
        """Run a `<Gather>`."""
        ...


async def wait_in_queue(session: QueuedCall, doc_url: str, enqueue: verbs.Enqueue) -> Jump | None:
    """Hold the caller in `enqueue.queue`; the Enqueue action to fetch, or None to go on."""
    queue_sid = new_sid("QU")
    started = session.clock
    session.note(f"queued in {enqueue.queue!r}")
    result, ended_by = await _wait(session, doc_url, enqueue, queue_sid, started)
    queue_time = str(int(session.clock - started))
    params = {"QueueResult": result, "QueueSid": queue_sid, "QueueTime": queue_time}
    action = urljoin(doc_url, enqueue.action) if enqueue.action else None
    session.note(f"left the queue: {result} after {queue_time}s")
    if result == "hangup":
        if action is not None:
            # Twilio still reports how the wait ended; the call is gone, so the answer is unused.
            await session.send("enqueue", action, enqueue.method, params)
        raise CallEnded(ended_by)
    if action is not None:
        return Jump("enqueue", action, enqueue.method, params)
    return None


def _wait_params(queue_sid: str, waited: float) -> dict[str, str]:
    seconds = str(int(waited))
    return {
        "QueueSid": queue_sid,
        "QueuePosition": "1",
        "QueueTime": seconds,
        "AvgQueueTime": seconds,
        "CurrentQueueSize": "1",
        "MaxQueueSize": MAX_QUEUE_SIZE,
    }


async def _wait(
    session: QueuedCall, doc_url: str, enqueue: verbs.Enqueue, queue_sid: str, started: float
) -> tuple[str, str]:
    """(QueueResult, who ended the call) once the caller is out of the queue."""
    wait_url = urljoin(doc_url, enqueue.wait_url) if enqueue.wait_url else None
    rounds = session.limits.max_wait_rounds
    try:
        for round_number in range(1, rounds + 1):
            if wait_url is None:
                session.hear("hold", "Twilio's default hold music")
                await session.advance(HOLD_MUSIC_SECONDS)
            else:
                params = _wait_params(queue_sid, session.clock - started)
                jump = Jump("wait", wait_url, enqueue.wait_url_method, params)
                outcome = await _play_wait_document(session, jump, queue_sid, started)
                if outcome is not None:
                    return outcome
            if await session.caller_input.after_wait_round(round_number):
                session.note("the caller hangs up while waiting")
                return "hangup", "caller"
    except CallEnded as end:
        return "hangup", end.ended_by
    session.note(f"still queued after {rounds} wait rounds; the simulated caller gives up")
    return "hangup", "limit"


async def _play_wait_document(
    session: QueuedCall, jump: Jump | None, queue_sid: str, started: float
) -> tuple[str, str] | None:
    """Run one wait document (and what it redirects to); an outcome when the wait ends."""
    while jump is not None:
        document = await session.fetch(jump)
        current, jump = jump.url, None
        for verb in document:
            session.count_verb()
            match verb:
                case verbs.Say() | verbs.Play() | verbs.Pause():
                    await session.prompt(verb)
                case verbs.Gather():
                    jump = await session.gather(current, verb)
                case verbs.Redirect(url=url, method=method):
                    params = _wait_params(queue_sid, session.clock - started)
                    jump = Jump("wait", urljoin(current, url), method, params)
                case verbs.Leave():
                    return "leave", ""
                case verbs.Hangup():
                    return "hangup", "service"
                case _:
                    session.note(f"{type(verb).__name__} is not allowed in a wait URL; skipped")
            if jump is not None:
                break
    return None
