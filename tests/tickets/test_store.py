"""The ticket store on SQLite and PostgreSQL: one ticket per call, idempotent, patchable."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from ivr.errors import InvalidInputError, NotFoundError
from ivr.events import CallEvent, event_id
from ivr.security import Role, hash_token
from ivr.tickets.db import migrate
from ivr.tickets.models import Event, Ticket, ticket_id
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketFilter, TicketPatch

CallFactory = Callable[..., list[CallEvent]]

SID = "CA" + "a" * 32


async def _count(store: TicketStore, model: type[Event] | type[Ticket]) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_call_becomes_exactly_one_ticket_with_every_step(
    store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events(SID)
    result = await store.persist(events)
    assert result.stored == len(events)
    assert result.callers == {"+14155550100"}

    t = await store.get(ticket_id(SID))
    assert t.call_sid == SID
    assert t.caller == "+14155550100"
    assert t.language == "en-US"
    assert (t.topic, t.emotion, t.emotion_intensity) == ("lost_stolen_card", "anxious", 0.7)
    assert t.menu_path == ["main", "card"]
    assert t.agent_id == "a1"
    assert t.queue_seconds == pytest.approx(12.0)
    assert t.handle_seconds == 80
    assert t.outcome == "answered"
    assert t.csat == 4
    assert t.routing_explanation == "all busy"
    assert [e.type for e in t.events] == [e.type for e in events]
    assert await _count(store, Ticket) == 1


async def test_the_ticket_is_found_by_call_sid_too(
    store: TicketStore, call_events: CallFactory
) -> None:
    await store.persist(call_events(SID))
    assert (await store.get(SID)).id == ticket_id(SID)


async def test_retried_events_do_not_duplicate(
    store: TicketStore, call_events: CallFactory
) -> None:
    events = call_events(SID)
    await store.persist(events[:6])
    # A carrier retry re-sends some steps; a later batch overlaps an earlier one.
    second = await store.persist(events[3:] + events[3:5])
    assert second.stored == len(events) - 6
    assert second.duplicates == 3 + 2
    t = await store.get(SID)
    assert len(t.events) == len(events)
    assert t.menu_path == ["main", "card"]  # a projection applied twice would repeat a step
    assert await _count(store, Event) == len(events)


async def test_nothing_secret_is_stored(store: TicketStore, call_events: CallFactory) -> None:
    await store.persist(call_events(SID))
    t = await store.get(SID)
    dumped = t.model_dump_json()
    assert "4111" not in dumped
    assert "4321" not in dumped  # typed in a secure node
    assert "[card redacted]" in t.transcript


async def test_a_caller_who_hangs_up_in_the_queue_is_abandoned(store: TicketStore) -> None:
    t0 = 1_800_000_000.0
    steps = [
        ("call.started", 0, {"caller": "+14155550111"}),
        ("routing.decided", 5, {"kind": "queue", "queue": "general"}),
        ("queue.joined", 5, {"queue": "general"}),
        ("call.ended", 65, {"status": "completed", "duration": 65}),
    ]
    await store.persist(
        [
            CallEvent(id=event_id(SID, "s", i), call_sid=SID, at=t0 + dt, type=kind, data=data)
            for i, (kind, dt, data) in enumerate(steps)
        ]
    )
    t = await store.get(SID)
    assert t.outcome == "abandoned"
    assert t.queue_seconds == pytest.approx(60.0)


async def test_a_requested_callback_is_a_due_task(store: TicketStore) -> None:
    t0 = 1_800_000_000.0
    await store.persist(
        [
            CallEvent(
                id=event_id(SID, "v"),
                call_sid=SID,
                at=t0,
                type="call.started",
                data={"caller": "+1415"},
            ),
            CallEvent(
                id=event_id(SID, "cb"),
                call_sid=SID,
                at=t0 + 30,
                type="callback.requested",
                data={"number": "+14155550123", "due_at": t0 + 3600, "agent_id": "a2"},
            ),
        ]
    )
    t = await store.get(SID)
    assert (t.outcome, t.status, t.callback_at) == ("callback", "pending", t0 + 3600)
    due = await store.callbacks(agent_id="a2", now=t0 + 7200)
    assert [c.number for c in due] == ["+14155550123"]
    assert due[0].overdue
    assert not (await store.callbacks(agent_id="a2", now=t0))[0].overdue
    assert await store.callbacks(agent_id="someone-else", now=t0) == []

    done = await store.complete_callback(due[0].id, actor="a2", audit=False)
    assert done.status == "done"
    t = await store.get(SID)
    assert (t.status, t.callback_at) == ("resolved", None)
    assert await store.callbacks(agent_id="a2") == []


async def test_patch_changes_only_given_fields_and_audits_admins(
    store: TicketStore, call_events: CallFactory
) -> None:
    await store.persist(call_events(SID))
    when = datetime(2027, 1, 2, 9, 30, tzinfo=UTC)
    t = await store.patch(
        ticket_id(SID),
        TicketPatch(notes="called back; card 4111-1111-1111-1111 blocked", callback_at=when),
        actor="tok_admin",
        audit=True,
    )
    assert t.notes == "called back; card [card redacted] blocked"
    assert t.callback_at == when.timestamp()
    assert t.status == "pending"
    assert t.topic == "lost_stolen_card"
    log = await store.audit_log()
    assert [(a.actor, a.action, a.target) for a in log] == [("tok_admin", "ticket.patch", t.id)]
    assert (await store.callbacks())[0].due_at == when.timestamp()

    await store.patch(t.id, TicketPatch(status="resolved"), actor="tok_agent", audit=False)
    assert len(await store.audit_log()) == 1


async def test_patch_refuses_unknown_tickets_and_empty_changes(store: TicketStore) -> None:
    with pytest.raises(NotFoundError):
        await store.patch("TKnope", TicketPatch(notes="x"), actor="a", audit=False)
    await store.persist([CallEvent(id="e1", call_sid=SID, at=1.0, type="call.started")])
    with pytest.raises(InvalidInputError):
        await store.patch(ticket_id(SID), TicketPatch(), actor="a", audit=False)


async def test_list_filters(store: TicketStore, call_events: CallFactory) -> None:
    await store.persist(call_events("CA1", caller="+1001", agent_id="a1", topic="loans", t0=1000.0))
    await store.persist(
        call_events("CA2", caller="+1002", agent_id="a2", topic="complaint", t0=2000.0)
    )
    assert [t.call_sid for t in await store.list(TicketFilter())] == ["CA2", "CA1"]
    assert [t.call_sid for t in await store.list(TicketFilter(topic="loans"))] == ["CA1"]
    assert [t.call_sid for t in await store.list(TicketFilter(agent_id="a2"))] == ["CA2"]
    assert [t.call_sid for t in await store.list(TicketFilter(since=1500.0))] == ["CA2"]
    assert await store.list(TicketFilter(caller="'; DROP TABLE tickets; --")) == []
    assert len(await store.list(TicketFilter())) == 2


async def test_customer_history_and_summary(store: TicketStore, call_events: CallFactory) -> None:
    await store.persist(call_events("CA1", caller="+1001", agent_id="a1", topic="loans", t0=1000.0))
    await store.persist(
        call_events("CA2", caller="+1001", agent_id="a2", topic="complaint", t0=2000.0)
    )
    history = await store.customer_history("+1001")
    assert history.calls == 2
    assert history.language == "en-US"
    assert [t.call_sid for t in history.tickets] == ["CA2", "CA1"]
    summary = (await store.customer_summaries({"+1001"}))["+1001"]
    assert summary.last_agent_id == "a2"
    assert summary.open_complaint
    assert summary.open_ticket_id == ticket_id("CA2")
    assert [sid for sid, _ in summary.recent_calls] == ["CA2", "CA1"]
    assert (await store.customer_history("+1999")).tickets == []


async def test_tokens_are_stored_hashed_and_can_be_revoked(store: TicketStore) -> None:
    token, record = await store.create_token(Role.AGENT, agent_id="a1")
    principal = await store.principal_for_token_hash(hash_token(token))
    assert principal is not None
    assert (principal.role, principal.agent_id, principal.token_id) == (Role.AGENT, "a1", record.id)
    async with store.session() as session:
        from ivr.tickets.models import ApiToken

        stored = await session.get(ApiToken, record.id)
        assert stored is not None
        assert stored.token_hash == hash_token(token)
        assert token not in stored.token_hash
    await store.revoke_token(record.id)
    assert await store.principal_for_token_hash(hash_token(token)) is None
    with pytest.raises(InvalidInputError):
        await store.create_token(Role.AGENT)


async def test_expired_tokens_are_refused(store: TicketStore) -> None:
    token, _ = await store.create_token(Role.SUPERVISOR, ttl_seconds=-1)
    assert await store.principal_for_token_hash(hash_token(token)) is None


async def test_migrate_is_idempotent(db_url: str) -> None:
    await migrate(db_url)
    await migrate(db_url)
    s = await TicketStore.open(db_url)
    try:
        await s.ping()
    finally:
        await s.close()


async def test_callbacks_keep_routings_id_and_are_not_doubled(store: TicketStore) -> None:
    data = {"callback_id": "cb-routing-1", "number": "+1555", "due_at": 5000.0, "agent_id": "a1"}
    await store.persist(
        [
            CallEvent(id="e1", call_sid=SID, at=1000.0, type="callback.requested", data=data),
            CallEvent(id="e2", call_sid=SID, at=1001.0, type="callback.requested", data=data),
        ]
    )
    await store.persist(
        [CallEvent(id="e3", call_sid=SID, at=1002.0, type="callback.requested", data=data)]
    )
    assert [c.id for c in await store.callbacks(now=0.0)] == ["cb-routing-1"]
    assert len((await store.get(SID)).events) == 3


async def test_workers_migrating_at_once_all_succeed(db_url: str) -> None:
    import asyncio

    await asyncio.gather(*(migrate(db_url) for _ in range(4)))
    s = await TicketStore.open(db_url, run_migrations=False)
    try:
        assert await s.list(TicketFilter()) == []
    finally:
        await s.close()


async def test_steps_of_one_webhook_keep_the_order_they_were_emitted_in(store: TicketStore) -> None:
    kinds = ["menu.entered", "call.started", "language.chosen", "nlu.read", "agent.dialed"]
    kinds = ["call.started", *[k for k in kinds if k != "call.started"]]
    events = [
        CallEvent(id=event_id(SID, "voice", i), call_sid=SID, at=1000.0, type=k)
        for i, k in enumerate(kinds)
    ]
    assert sorted(e.id for e in events) != [e.id for e in events]  # ids alone would reorder them
    await store.persist(events)
    assert [e.type for e in (await store.get(SID)).events] == kinds


async def test_migrations_build_exactly_the_models_and_upgrade_step_by_step(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ivr.tickets.db import make_engine
    from ivr.tickets.models import Base

    await migrate(db_url, revision="0001")
    await migrate(db_url)
    engine = make_engine(db_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
    finally:
        await engine.dispose()
    assert diff == []


async def test_a_very_long_call_keeps_its_first_and_last_steps_and_counts_the_rest(
    store: TicketStore,
) -> None:
    sid = "CA" + "l" * 32
    t0 = 1_800_000_000.0
    events = [
        CallEvent(
            id=event_id(sid, "start"),
            call_sid=sid,
            at=t0,
            type="call.started",
            data={"caller": "+14155550100"},
        )
    ]
    for i in range(400):
        at = t0 + 1 + i
        events.append(
            CallEvent(
                id=event_id(sid, f"m{i}"),
                call_sid=sid,
                at=at,
                type="menu.entered",
                data={"node": f"n{i}", "flow": "main"},
            )
        )
        events.append(
            CallEvent(
                id=event_id(sid, f"k{i}"),
                call_sid=sid,
                at=at + 0.5,
                type="menu.input",
                data={"node": f"n{i}", "digits": "*"},
            )
        )
    for start in range(0, len(events), 37):  # in batches, as the persister stores them
        await store.persist(events[start : start + 37])
    t = await store.get(sid)
    assert t.menu_path[:3] == ["n0", "n1", "n2"]
    assert t.menu_path[-2:] == ["n398", "n399"]
    assert "(350 more steps)" in t.menu_path and len(t.menu_path) == 51
    texts = [e["text"] for e in t.transcripts]
    assert texts[0] == "[keys] *" and "[350 more entries in the event log]" in texts
    assert len(t.events) == len(events)  # every step is still in the call's event log
