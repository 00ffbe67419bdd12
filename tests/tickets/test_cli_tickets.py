"""`ivr token create`, `ivr tickets list|show|export`, `ivr callbacks due|done` on a real store."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from typer.testing import CliRunner

from ivr.cli import app
from ivr.events import CallEvent, event_id
from ivr.security import hash_token
from ivr.tickets.store import TicketStore
from tests.conftest import REDIS_URL

SID = "CA" + "c" * 32
T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z, in the past


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A SQLite store with one call that asked for a callback, named by IVR_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("IVR_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env

    async def seed() -> None:
        store = await TicketStore.open(url)
        steps = [
            ("call.started", 0, {"caller": "+14155550100"}),
            (
                "nlu.read",
                3,
                {"topic": "complaint", "emotion": "angry", "text": "=HYPERLINK(x) fees!"},
            ),
            (
                "callback.requested",
                9,
                {"number": "+14155550100", "due_at": T0 - 60, "agent_id": "a1"},
            ),
            ("call.ended", 10, {"status": "completed"}),
        ]
        await store.persist(
            [
                CallEvent(id=event_id(SID, "s", i), call_sid=SID, at=T0 + dt, type=k, data=d)
                for i, (k, dt, d) in enumerate(steps)
            ]
        )
        await store.close()

    asyncio.run(seed())
    return url


def test_token_create_prints_a_working_token(db: str) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["token", "create", "--role", "agent", "--agent", "a1"])
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[0]

    async def check() -> None:
        store = await TicketStore.open(db)
        principal = await store.principal_for_token_hash(hash_token(token))
        await store.close()
        assert principal is not None
        assert principal.agent_id == "a1"

    asyncio.run(check())
    assert runner.invoke(app, ["token", "create", "--role", "agent"]).exit_code == 1
    assert runner.invoke(app, ["token", "create", "--role", "root"]).exit_code == 2


def test_list_show_and_export(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_TIMEZONE", "UTC")  # the call came in on 14 November, UTC
    runner = CliRunner()
    r = runner.invoke(app, ["tickets", "list"])
    assert r.exit_code == 0, r.output
    assert "complaint" in r.stdout
    r = runner.invoke(app, ["tickets", "show", SID])
    assert r.exit_code == 0
    assert "callback.requested" in r.stdout
    assert runner.invoke(app, ["tickets", "show", "nope"]).exit_code == 1

    out = tmp_path / "t.csv"
    r = runner.invoke(app, ["tickets", "export", "--since", "2023-11-14", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 1
    assert rows[0]["call_sid"] == SID
    assert rows[0]["outcome"] == "callback"
    assert rows[0]["transcript"].startswith("'=")  # a spreadsheet must not run it
    r = runner.invoke(app, ["tickets", "export", "--since", "2023-11-15"])
    assert r.stdout.strip().count("\n") == 0  # the header only
    assert runner.invoke(app, ["tickets", "export", "--since", "someday"]).exit_code == 2


def test_export_dates_are_the_banks_days(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """22:13 UTC on 14 November is 06:13 on the 15th in Shanghai: a call of the 15th there."""
    monkeypatch.setenv("IVR_TIMEZONE", "Asia/Shanghai")
    runner = CliRunner()

    def exported(*dates: str) -> int:
        r = runner.invoke(app, ["tickets", "export", *dates])
        assert r.exit_code == 0, r.output
        return len(list(csv.DictReader(io.StringIO(r.stdout))))

    assert exported("--since", "2023-11-15") == 1
    assert exported("--since", "2023-11-14", "--until", "2023-11-15") == 0
    assert exported("--since", "2023-11-15T06:13:00") == 1  # on the bank's clock
    assert exported("--since", "2023-11-15T06:14:00") == 0
    assert exported("--since", "2023-11-14T22:14:00Z") == 0  # an offset as given


def test_callbacks_due_and_done(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IVR_REDIS_URL", "IVR_DATA_DIR"):  # routing's Redis out of reach
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    r = runner.invoke(app, ["callbacks", "due", "--agent", "a1"])
    assert r.exit_code == 0
    assert r.stdout.startswith("OVERDUE")
    callback_id = r.stdout.split(" id ")[-1].strip()
    done = runner.invoke(app, ["callbacks", "done", callback_id])
    assert done.exit_code == 0
    # no IVR_REDIS_URL and no ivr serve here: routing's record of the number lapses by itself
    assert "+14155550100" in done.stderr and "lapses at 2023-11-15T00:12:20+00:00" in done.stderr
    assert runner.invoke(app, ["callbacks", "due"]).stdout == ""
    assert runner.invoke(app, ["callbacks", "done", "nope"]).exit_code == 1


def test_an_agent_token_for_an_agent_nobody_knows_warns_and_is_still_made(
    db: str, monkeypatch: pytest.MonkeyPatch, redis_prefix: str
) -> None:
    monkeypatch.setenv("IVR_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("IVR_REDIS_PREFIX", redis_prefix)
    runner = CliRunner()
    seeded = runner.invoke(app, ["token", "create", "--role", "agent", "--agent", "amy"])
    assert seeded.exit_code == 0 and "warning" not in seeded.stderr  # in routing/agents.yaml

    unknown = runner.invoke(app, ["token", "create", "--role", "agent", "--agent", "zed"])
    assert unknown.exit_code == 0 and unknown.stdout.strip()
    assert "warning: no agent 'zed'" in unknown.stderr

    added = runner.invoke(
        app, ["agents", "add", "zed", "--name", "Zed", "--skill", "general=3", "--lang", "en-US"]
    )
    assert added.exit_code == 0, added.output
    known = runner.invoke(app, ["token", "create", "--role", "agent", "--agent", "zed"])
    assert known.exit_code == 0 and "warning" not in known.stderr  # now in the roster


def test_callbacks_done_frees_the_number_in_routing(
    db: str, monkeypatch: pytest.MonkeyPatch, redis_prefix: str
) -> None:
    from ivr.keys import Keys
    from ivr.routing.models import RoutingRequest
    from ivr.routing.policy import parse_policy
    from ivr.routing.router import Router

    monkeypatch.setenv("IVR_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("IVR_REDIS_PREFIX", redis_prefix)
    number = "+14155550142"

    async def ask(call_sid: str) -> tuple[str, bool]:
        client = aioredis.Redis.from_url(REDIS_URL)
        router = Router(
            redis=client, keys=Keys(prefix=redis_prefix), policy=parse_policy({}, source="test")
        )
        request = RoutingRequest.model_validate(
            {"call_sid": call_sid, "caller": number, "language": "en-US", "entered_at": 0.0}
        )
        cb = await router.request_callback(request)
        await client.aclose()
        if not cb.joined:  # as the persister would store it
            store = await TicketStore.open(db)
            data = {"callback_id": cb.id, "number": number, "due_at": cb.due_at}
            await store.persist(
                [
                    CallEvent(
                        id=call_sid, call_sid=call_sid, at=T0, type="callback.requested", data=data
                    )
                ]
            )
            await store.close()
        return cb.id, cb.joined

    first, _ = asyncio.run(ask("CA1"))
    assert asyncio.run(ask("CA2")) == (first, True)
    done = CliRunner().invoke(app, ["callbacks", "done", first])
    assert done.exit_code == 0, done.output
    assert done.stderr == ""  # routing was reached: nothing left to lapse
    fresh, joined = asyncio.run(ask("CA3"))
    assert fresh != first and not joined
