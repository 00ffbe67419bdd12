"""Callbacks booked while the bank is closed are due when it next opens, in its own time zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from ivr.simulator.script import Press
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def opening() -> dt.datetime:
    """Two hours from now, on the hour, in Shanghai: the only opening of every day."""
    now = dt.datetime.now(SHANGHAI)
    start = (now + dt.timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return start


@pytest.fixture
def config_dir(config_dir: Path, opening: dt.datetime) -> Path:
    """Open one hour a day, starting at `opening` (so closed now)."""
    path = config_dir / "flows" / "main.yaml"
    flow = yaml.safe_load(path.read_text())
    hours = next(n for n in flow["nodes"].values() if n["type"] == "hours")
    end = "24:00" if opening.hour == 23 else f"{opening.hour + 1:02d}:00"
    span = f"{opening.hour:02d}:00-{end}"
    hours["weekly"] = {d: [span] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    hours["holidays"] = []
    path.write_text(yaml.safe_dump(flow, allow_unicode=True))
    return config_dir


@pytest.mark.parametrize(("language", "key"), [("en-US", "1"), ("zh-CN", "2")])
async def test_an_after_hours_callback_is_due_at_the_next_opening(
    service: Service, opening: dt.datetime, language: str, key: str
) -> None:
    record = await service.carrier().place_call([Press(key), Press("2")], language=language)
    assert record.errors == []
    ticket = await ticket_of(service, record, outcome="callback")
    assert ticket["callback_at"] == pytest.approx(opening.timestamp())
    said = record.transcript
    if language == "en-US":
        assert f"at {opening.hour}:00" in said
    else:
        assert f"{opening.month}月{opening.day}日{opening.hour}点" in said


async def test_routing_and_the_ticket_store_name_the_same_callback(service: Service) -> None:
    record = await service.carrier().place_call([Press("1"), Press("2")])
    ticket = await ticket_of(service, record, outcome="callback")
    asked = next(e for e in ticket["events"] if e["type"] == "callback.requested")
    async with service.api() as api:
        listed = (await api.get("/api/callbacks")).json()
    mine = [c for c in listed if c["ticket_id"] == ticket["id"]]
    assert [c["id"] for c in mine] == [asked["data"]["callback_id"]]
    routing = service.app.state.router
    stored = await routing._redis.get(routing._keys.routing("callback", mine[0]["id"]))
    assert stored is not None


async def test_a_caller_who_asks_again_hears_the_callback_already_booked(
    service: Service, opening: dt.datetime
) -> None:
    caller = "+14155550177"
    records = [
        await service.carrier().place_call([Press("1"), Press("2")], caller=caller)
        for _ in range(2)
    ]
    tickets = [await ticket_of(service, r, outcome="callback") for r in records]
    booked = [[s for s in r.said if "callback is booked" in s] for r in records]
    assert booked[0] and booked[0] == booked[1]
    assert f"at {opening.hour}:00" in booked[1][0]
    asked = next(e for e in tickets[0]["events"] if e["type"] == "callback.requested")
    joined = next(e for e in tickets[1]["events"] if e["type"] == "callback.joined")
    assert joined["data"]["callback_id"] == asked["data"]["callback_id"]
    assert "callback.requested" not in {e["type"] for e in tickets[1]["events"]}
    assert tickets[1]["callback_at"] == tickets[0]["callback_at"]
    async with service.api() as api:
        listed = [c for c in (await api.get("/api/callbacks")).json() if c["number"] == caller]
        assert [c["id"] for c in listed] == [asked["data"]["callback_id"]]
        done = await api.post(f"/api/callbacks/{listed[0]['id']}/complete")
        assert done.status_code == 200

    # done: the caller's next request is a callback of its own
    third = await service.carrier().place_call([Press("1"), Press("2")], caller=caller)
    ticket = await ticket_of(service, third, outcome="callback")
    fresh = next(e for e in ticket["events"] if e["type"] == "callback.requested")
    assert fresh["data"]["callback_id"] != asked["data"]["callback_id"]
