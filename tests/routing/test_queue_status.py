"""Queues as the supervisor's wall shows them: longest wait, callbacks offered, upset callers."""

from __future__ import annotations

from ivr.ids import AgentState, is_upset
from ivr.routing.models import DecisionKind
from tests.routing.routing_support import Clock, RouterFactory, agent, call


def test_upset_needs_a_strong_enough_non_neutral_reading() -> None:
    assert is_upset("angry", 0.4)
    assert not is_upset("angry", 0.39)
    assert not is_upset("neutral", 1.0)
    assert not is_upset(None, 1.0)
    assert not is_upset("sad", None)


async def test_queue_status_counts_the_longest_wait_offers_and_upset_callers(
    make_router: RouterFactory, clock: Clock
) -> None:
    router = await make_router()  # callback offered after 200 s of waiting
    await router.add_agent(agent("a", {"card_services": 4}))
    await router.set_status("a", AgentState.AWAY)
    assert (await router.route(call("CA1", clock))).kind is DecisionKind.QUEUE
    clock.advance(150)
    await router.route(call("CA2", clock, emotion="angry", emotion_intensity=0.8))
    clock.advance(60)  # CA1 has waited 210 s, CA2 60 s
    await router.route(call("CA3", clock, emotion="sad", emotion_intensity=0.2))

    [queue] = await router.queue_status()
    assert queue.waiting == 3
    assert queue.longest_wait_seconds == 210.0
    assert (queue.offered_callback, queue.upset) == (1, 1)
    by_sid = {c.call_sid: c for c in queue.callers}
    assert by_sid["CA1"].offered_callback and not by_sid["CA1"].upset
    assert by_sid["CA2"].upset and not by_sid["CA2"].offered_callback
    assert by_sid["CA2"].emotion_intensity == 0.8
    assert not by_sid["CA3"].upset  # sad, but only faintly

    # The flow offers "press 1" to the same caller the wall counts.
    assert (await router.poll("CA1")).offer_callback
    assert not (await router.poll("CA2")).offer_callback
