"""A caller's repeat request joins their pending callback: no second row, both tickets close."""

from __future__ import annotations

import pytest

from ivr.events import CallEvent, event_id
from ivr.tickets.store import TicketStore

T0 = 1_800_000_000.0
NUMBER = "+14155550100"
BOOKED, JOINED, OTHER = ("CA" + c * 32 for c in "bjo")
CALLBACK = {"callback_id": "cb_0123456789abcdef", "number": NUMBER, "due_at": T0 + 86400}


def _call(sid: str, at: float, kind: str, **data: object) -> list[CallEvent]:
    """A call of NUMBER that asked for a callback: `kind` is how routing answered."""
    steps: list[tuple[str, dict[str, object]]] = [
        ("call.started", {"caller": NUMBER}),
        (kind, {**CALLBACK, "agent_id": "a1", "language": "en-US", **data}),
        ("call.ended", {"status": "completed"}),
    ]
    return [
        CallEvent(id=event_id(sid, "s", i), call_sid=sid, at=at + i, type=k, data=d)
        for i, (k, d) in enumerate(steps)
    ]


@pytest.mark.parametrize("joined_first", [False, True])
async def test_a_joined_callback_is_one_row_and_completing_it_resolves_both_tickets(
    store: TicketStore, joined_first: bool
) -> None:
    booked = _call(BOOKED, T0, "callback.requested")
    joined = _call(JOINED, T0 + 600, "callback.joined", booked_call_sid=BOOKED)
    # the number's next callback, booked after the first was done elsewhere: left alone
    other = _call(OTHER, T0 + 900, "callback.requested", callback_id="cb_other")
    for batch in [joined, booked] if joined_first else [booked, joined]:
        await store.persist(batch)
    await store.persist(other)
    await store.persist(joined)  # the carrier's retry: nothing new

    rows = [c for c in await store.callbacks(now=T0) if c.id != "cb_other"]
    assert [(c.id, c.number) for c in rows] == [(CALLBACK["callback_id"], NUMBER)]
    assert rows[0].ticket_id == (await store.get(BOOKED)).id
    for sid in (BOOKED, JOINED):
        t = await store.get(sid)
        assert (t.outcome, t.status, t.callback_at) == ("callback", "pending", T0 + 86400)
    assert [e.type for e in (await store.get(JOINED)).events][1] == "callback.joined"

    await store.complete_callback(str(CALLBACK["callback_id"]), actor="a1", audit=False)
    for sid in (BOOKED, JOINED):
        t = await store.get(sid)
        assert (t.status, t.callback_at) == ("resolved", None)
    assert (await store.get(OTHER)).status == "pending"
    assert [c.id for c in await store.callbacks(now=T0)] == ["cb_other"]


async def test_a_repeat_request_in_one_batch_with_the_booking_adds_no_row(
    store: TicketStore,
) -> None:
    # both calls' events reach the persister together, with the routing-side duplicates
    events = [
        *_call(BOOKED, T0, "callback.requested"),
        *_call(JOINED, T0 + 1, "callback.joined"),
        CallEvent(
            id="routing-dup",
            call_sid=BOOKED,
            at=T0 + 2,
            type="callback.requested",
            data={**CALLBACK, "agent_id": "a1"},
        ),
    ]
    await store.persist(events)
    await store.persist(events)
    assert [c.id for c in await store.callbacks(now=T0)] == [CALLBACK["callback_id"]]


async def test_a_join_persisted_after_the_callback_was_done_is_resolved_with_it(
    store: TicketStore,
) -> None:
    """The write-behind persister can deliver a joining call's events late."""
    await store.persist(_call(BOOKED, T0, "callback.requested"))
    await store.complete_callback(str(CALLBACK["callback_id"]), actor="a1", audit=False)
    await store.persist(_call(JOINED, T0 + 600, "callback.joined", booked_call_sid=BOOKED))
    late = await store.get(JOINED)
    assert (late.outcome, late.status, late.callback_at) == ("callback", "resolved", None)
    # A join naming a callback still due stays pending, as before.
    await store.persist(_call(OTHER, T0 + 900, "callback.requested", callback_id="cb_other"))
    later = "CA" + "l" * 32
    await store.persist(_call(later, T0 + 960, "callback.joined", callback_id="cb_other"))
    assert (await store.get(later)).status == "pending"
