"""The tickets API: who sees what, and bad PATCH bodies change nothing."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.api import callbacks, reports, tickets
from ivr.config import Settings
from ivr.events import CallEvent, event_id
from ivr.keys import Keys
from ivr.security import Role
from ivr.tickets.customers import customer_summary
from ivr.tickets.models import ticket_id
from ivr.tickets.store import TicketStore
from ivr.tickets.views import TicketPatch

T0 = 1_800_000_000.0


@dataclass
class Api:
    client: httpx.AsyncClient
    store: TicketStore
    tokens: dict[str, str]
    redis: aioredis.Redis
    keys: Keys

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def call(sid: str, *, caller: str, agent: str | None, topic: str, at: float) -> list[CallEvent]:
    """A short call: started, understood, (answered by `agent`), ended."""
    steps: list[tuple[str, float, dict[str, Any]]] = [
        ("call.started", 0, {"caller": caller}),
        ("nlu.read", 5, {"topic": topic, "emotion": "angry", "emotion_intensity": 0.8}),
    ]
    if agent:
        steps.append(
            ("agent.result", 60, {"agent_id": agent, "dial_status": "completed", "duration": 50})
        )
    steps.append(("call.ended", 70, {"status": "completed", "duration": 70}))
    return [
        CallEvent(id=event_id(sid, "s", i), call_sid=sid, at=at + dt, type=kind, data=data)
        for i, (kind, dt, data) in enumerate(steps)
    ]


@pytest.fixture
async def api(settings: Settings, redis: aioredis.Redis, keys: Keys) -> AsyncIterator[Api]:
    """The routers over a real store holding three calls: two for agent a1, one for a2."""
    store = await TicketStore.open(settings.database_url)
    await store.persist(call("CA1", caller="+1001", agent="a1", topic="complaint", at=T0))
    await store.persist(call("CA2", caller="+1002", agent="a2", topic="loans", at=T0 + 100))
    await store.persist(call("CA3", caller="+1001", agent="a1", topic="loans", at=T0 + 200))
    app = FastAPI()
    for module in (tickets, reports, callbacks):
        app.include_router(module.router)
    app.state.settings, app.state.redis, app.state.keys = settings, redis, keys
    app.state.tickets = store
    tokens = {
        "admin": (await store.create_token(Role.ADMIN))[0],
        "supervisor": (await store.create_token(Role.SUPERVISOR))[0],
        "agent": (await store.create_token(Role.AGENT, agent_id="a1"))[0],
    }
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield Api(client, store, tokens, redis, keys)
    await store.close()


def sids(body: list[dict[str, Any]]) -> list[str]:
    return [t["call_sid"] for t in body]


async def test_admins_and_supervisors_see_all_an_agent_only_their_own(api: Api) -> None:
    for role in ("admin", "supervisor"):
        r = await api.client.get("/api/tickets", headers=api.auth(role))
        assert sids(r.json()) == ["CA3", "CA2", "CA1"]
    r = await api.client.get("/api/tickets", headers=api.auth("agent"))
    assert sids(r.json()) == ["CA3", "CA1"]


async def test_filters(api: Api) -> None:
    get = api.client.get
    h = api.auth("admin")
    assert sids((await get("/api/tickets?topic=loans", headers=h)).json()) == ["CA3", "CA2"]
    assert sids((await get("/api/tickets?caller=%2B1002", headers=h)).json()) == ["CA2"]
    assert sids((await get("/api/tickets?emotion=angry&status=open", headers=h)).json()) == [
        "CA3",
        "CA2",
        "CA1",
    ]
    since = "2027-01-15T08:01:00Z"  # between CA1 (08:00:00) and CA2 (08:01:40)
    assert sids((await get(f"/api/tickets?since={since}", headers=h)).json()) == ["CA3", "CA2"]
    for bad in ("topic=pizza", "emotion=x", "status=closed", "since=yesterday", "limit=0"):
        assert (await get(f"/api/tickets?{bad}", headers=h)).status_code == 422, bad


async def test_dates_are_the_banks_days_and_naive_times_its_clock(
    api: Api, settings: Settings
) -> None:
    # CA1..CA3 came in at 16:00 in Shanghai on 15 January; CA4 at 00:30 on the 16th there,
    # which is still the 15th in UTC.
    late = datetime.fromisoformat("2027-01-15T16:30:00+00:00").timestamp()
    await api.store.persist(call("CA4", caller="+1004", agent=None, topic="loans", at=late))
    h = api.auth("admin")

    async def listed(query: str) -> list[str]:
        r = await api.client.get(f"/api/tickets?{query}", headers=h)
        assert r.status_code == 200, r.text
        return sids(r.json())

    settings.timezone = "Asia/Shanghai"
    assert await listed("since=2027-01-16") == ["CA4"]
    assert await listed("since=2027-01-15&until=2027-01-16") == ["CA3", "CA2", "CA1"]
    assert await listed("since=2027-01-15T16:01:00") == ["CA4", "CA3", "CA2"]  # 08:01 UTC
    # An explicit offset, and epoch seconds, mean what they say in any zone.
    assert await listed("since=2027-01-15T08:01:00Z") == ["CA4", "CA3", "CA2"]
    assert await listed(f"since={T0 + 50}") == ["CA4", "CA3", "CA2"]

    settings.timezone = "UTC"
    assert await listed("since=2027-01-16") == []
    assert await listed("since=2027-01-15&until=2027-01-16") == ["CA4", "CA3", "CA2", "CA1"]
    assert await listed("since=2027-01-15T08:01:00") == ["CA4", "CA3", "CA2"]
    assert await listed("since=2027-01-15T08:01:00Z") == ["CA4", "CA3", "CA2"]


async def test_a_callback_time_without_an_offset_is_on_the_banks_clock(
    api: Api, settings: Settings
) -> None:
    settings.timezone = "Asia/Shanghai"
    shanghai = ZoneInfo("Asia/Shanghai")
    tomorrow = datetime.now(shanghai).date() + timedelta(days=1)
    typed = f"{tomorrow.isoformat()}T10:00:00"
    r = await api.client.patch(
        f"/api/tickets/{ticket_id('CA1')}", json={"callback_at": typed}, headers=api.auth("agent")
    )
    assert r.status_code == 200, r.text
    expected = datetime.fromisoformat(typed).replace(tzinfo=shanghai).timestamp()
    assert r.json()["callback_at"] == expected
    # With an offset it is that instant, whatever the bank's zone.
    r = await api.client.patch(
        f"/api/tickets/{ticket_id('CA1')}",
        json={"callback_at": f"{tomorrow.isoformat()}T10:00:00+00:00"},
        headers=api.auth("agent"),
    )
    assert r.json()["callback_at"] == expected + 8 * 3600


async def test_one_ticket_has_the_contract_fields_and_its_events(api: Api) -> None:
    r = await api.client.get(f"/api/tickets/{ticket_id('CA1')}", headers=api.auth("agent"))
    assert r.status_code == 200
    body = r.json()
    for field in (
        "id",
        "call_sid",
        "caller",
        "language",
        "topic",
        "emotion",
        "emotion_intensity",
        "transcript",
        "status",
        "agent_id",
        "queue_seconds",
        "outcome",
        "csat",
        "events",
    ):
        assert field in body, field
    assert [e["type"] for e in body["events"]] == [
        "call.started",
        "nlu.read",
        "agent.result",
        "call.ended",
    ]
    assert set(body["events"][0]) >= {"at", "type", "data"}


async def test_an_agent_cannot_read_or_change_another_agents_ticket(api: Api) -> None:
    other = ticket_id("CA2")
    assert (
        await api.client.get(f"/api/tickets/{other}", headers=api.auth("agent"))
    ).status_code == 403
    r = await api.client.patch(
        f"/api/tickets/{other}", json={"notes": "mine"}, headers=api.auth("agent")
    )
    assert r.status_code == 403
    assert (await api.store.get(other)).notes is None


async def test_an_agent_patches_their_own_ticket_and_the_audit_log_says_so(api: Api) -> None:
    tid = ticket_id("CA1")
    r = await api.client.patch(
        f"/api/tickets/{tid}",
        json={
            "notes": "customer upset about fee; CVV 123 given",
            "status": "resolved",
            "disposition": "refund",
        },
        headers=api.auth("agent"),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "resolved"
    assert body["notes"] == "customer upset about fee; CVV [redacted] given"
    # Every role's ticket edit is audited (issue #16), with the redacted text only.
    (entry,) = [a for a in await api.store.audit_log() if a.action == "ticket.patch"]
    assert entry.actor == "agent:a1" and entry.target == tid
    assert entry.changes["after"]["status"] == "resolved"
    assert "123" not in str(entry.changes)
    # The complaint is resolved: routing's copy of the caller says so at once.
    summary = await customer_summary(api.redis, keys=api.keys, caller="+1001")
    assert not summary.open_complaint


async def test_admin_changes_go_to_the_audit_log(api: Api) -> None:
    tid = ticket_id("CA2")
    r = await api.client.patch(
        f"/api/tickets/{tid}",
        json={"callback_at": "2027-02-01T10:00:00Z", "notes": "call back"},
        headers=api.auth("admin"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending"
    entries = [a for a in await api.store.audit_log() if a.action == "ticket.patch"]
    assert len(entries) == 1
    assert entries[0].target == tid
    assert entries[0].changes["before"]["notes"] is None
    assert entries[0].changes["after"]["notes"] == "call back"


@pytest.mark.parametrize(
    "body",
    [
        b'{"notes": "x", "owner": "me"}',  # unknown field
        b'{"status": "closed"}',
        b'{"status": 1}',
        b'{"notes": 42}',
        b'{"csat": 5}',  # not patchable
        b'{"callback_at": "next tuesday"}',
        b'{"notes": "x", "agent_id": "a1"}',
        b"[]",
        b'"notes"',
        b"{not json",
        b"",
        b"{}",
        '{"notes": "\udcff"}'.encode("utf-8", "surrogatepass"),
    ],
)
async def test_bad_patch_bodies_are_422_and_change_nothing(api: Api, body: bytes) -> None:
    tid = ticket_id("CA1")
    before = await api.store.get(tid)
    r = await api.client.patch(
        f"/api/tickets/{tid}",
        content=body,
        headers={**api.auth("admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert await api.store.get(tid) == before


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00Z", 1_577_836_800, 1_577_836_800.5])
async def test_a_callback_in_the_past_is_422_and_changes_nothing(
    api: Api, when: str | float
) -> None:
    tid = ticket_id("CA1")
    before = await api.store.get(tid)
    r = await api.client.patch(
        f"/api/tickets/{tid}", json={"callback_at": when, "notes": "x"}, headers=api.auth("agent")
    )
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "callback_at"]]
    assert await api.store.get(tid) == before
    assert (await api.client.get("/api/callbacks", headers=api.auth("admin"))).json() == []


async def test_callback_at_may_be_epoch_seconds_as_tickets_report_it(api: Api) -> None:
    tid = ticket_id("CA1")
    when = time.time() + 3600
    r = await api.client.patch(
        f"/api/tickets/{tid}", json={"callback_at": when}, headers=api.auth("agent")
    )
    assert r.status_code == 200, r.text
    assert r.json()["callback_at"] == pytest.approx(when)
    # What GET returns can be sent back as it is.
    got = (await api.client.get(f"/api/tickets/{tid}", headers=api.auth("agent"))).json()
    r = await api.client.patch(
        f"/api/tickets/{tid}",
        json={"callback_at": got["callback_at"]},
        headers=api.auth("agent"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["callback_at"] == got["callback_at"]
    r = await api.client.patch(
        f"/api/tickets/{tid}", json={"callback_at": int(when)}, headers=api.auth("agent")
    )
    assert (r.status_code, r.json()["callback_at"]) == (200, int(when))


@pytest.mark.parametrize(
    "body", [b'{"callback_at": true}', b'{"callback_at": 1e300}', b'{"callback_at": NaN}']
)
async def test_callback_at_must_be_a_real_time(api: Api, body: bytes) -> None:
    tid = ticket_id("CA1")
    before = await api.store.get(tid)
    r = await api.client.patch(
        f"/api/tickets/{tid}",
        content=body,
        headers={**api.auth("admin"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "callback_at"]
    assert await api.store.get(tid) == before


async def test_oversized_bodies_are_413_and_change_nothing(api: Api) -> None:
    tid = ticket_id("CA1")
    before = await api.store.get(tid)
    r = await api.client.patch(
        f"/api/tickets/{tid}", json={"notes": "x" * 100_000}, headers=api.auth("admin")
    )
    assert r.status_code == 413
    assert await api.store.get(tid) == before


async def test_sql_looking_text_is_only_text(api: Api) -> None:
    tid = ticket_id("CA1")
    notes = "'; DROP TABLE tickets; -- \" OR 1=1"
    r = await api.client.patch(
        f"/api/tickets/{tid}", json={"notes": notes}, headers=api.auth("admin")
    )
    assert r.json()["notes"] == notes
    assert len((await api.client.get("/api/tickets", headers=api.auth("admin"))).json()) == 3
    r = await api.client.get("/api/tickets/' OR '1'='1", headers=api.auth("admin"))
    assert r.status_code in (404, 422)


async def test_unknown_tickets_are_404(api: Api) -> None:
    h = api.auth("admin")
    assert (await api.client.get("/api/tickets/TKnope", headers=h)).status_code == 404
    assert (
        await api.client.patch("/api/tickets/TKnope", json={"notes": "x"}, headers=h)
    ).status_code == 404


async def test_callbacks_due_list_and_completion(api: Api) -> None:
    tid = ticket_id("CA1")
    # The API refuses a past time; an overdue callback is one whose time has since passed.
    await api.store.patch(
        tid,
        TicketPatch(callback_at=datetime(2020, 1, 1, tzinfo=UTC)),
        actor="a1",
        audit=False,
    )
    r = await api.client.get("/api/callbacks", headers=api.auth("agent"))
    assert [(c["ticket_id"], c["overdue"]) for c in r.json()] == [(tid, True)]
    assert (
        await api.client.get("/api/callbacks?agent_id=a2", headers=api.auth("agent"))
    ).status_code == 403
    cb = r.json()[0]["id"]
    r = await api.client.post(f"/api/callbacks/{cb}/complete", headers=api.auth("agent"))
    assert r.status_code == 200
    assert (await api.client.get("/api/callbacks", headers=api.auth("admin"))).json() == []
    ticket = await api.store.get(tid)
    assert (ticket.status, ticket.callback_at) == ("resolved", None)


async def test_an_agent_reads_only_customers_of_calls_routed_to_them(api: Api) -> None:
    # +1002's only call went to a2: agent a1 learns nothing of them, not even that they exist.
    theirs = await api.client.get("/api/customers/+1002", headers=api.auth("agent"))
    assert theirs.status_code == 404
    assert "+1002" not in theirs.text
    unknown = await api.client.get("/api/customers/+1999", headers=api.auth("agent"))
    assert unknown.status_code == 404 and unknown.json() == theirs.json()
    supervisor = await api.client.get("/api/customers/+1002", headers=api.auth("supervisor"))
    assert supervisor.status_code == 200 and sids(supervisor.json()["tickets"]) == ["CA2"]


async def test_screen_pop_history(api: Api) -> None:
    r = await api.client.get("/api/customers/+1001", headers=api.auth("agent"))
    assert r.status_code == 200
    assert r.json()["calls"] == 2
    assert sids(r.json()["tickets"]) == ["CA3", "CA1"]
