"""Simulated time moves the service's clock, so back-to-back simulated calls do not wait
out a real 30-second wrap-up; a service with a public URL keeps real time."""

from __future__ import annotations

import httpx
import pytest

from ivr.config import Settings
from ivr.simulator.carrier_requests import sign
from ivr.simulator.script import Press
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of

TO_AN_AGENT = [Press("1"), Press("0"), Press("5")]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A service run for the simulator (a dev setting: the test server has a public URL)."""
    settings.simulated_clock = True
    return settings


async def test_the_next_simulated_call_reaches_the_agent_once_their_wrap_up_passed(
    service: Service,
) -> None:
    await service.add_agent("ana", skills={"general": 5})
    carrier = service.carrier(move_service_clock=True)
    first = await carrier.place_call(TO_AN_AGENT, caller="+14155550201")
    assert await _state_of(service, "ana") == "wrap_up"  # 30 seconds, by the policy
    started = service.app.state.clock.now()
    second = await carrier.place_call(TO_AN_AGENT, caller="+14155550202")
    for record in (first, second):
        assert record.errors == []
        assert "<Identity>ana</Identity>" in "".join(r.body for r in record.requests)
    # The second call's menus and waits took simulated time, and the service's clock
    # went with it: ana's wrap-up was over when the caller asked for her.
    assert service.app.state.clock.now() - started >= 30
    ticket = await ticket_of(service, second, csat=5)
    assert ticket["agent_id"] == "ana"


async def _state_of(service: Service, agent_id: str) -> str:
    async with service.api() as api:
        agents = (await api.get("/api/agents")).json()
    return str(next(a["status"]["state"] for a in agents if a["agent"]["id"] == agent_id))


async def test_a_service_with_a_public_url_keeps_real_time(
    service: Service, settings: Settings
) -> None:
    service.app.state.clock.movable = False  # as settings without IVR_SIMULATED_CLOCK make it
    carrier = service.carrier(move_service_clock=True)
    record = await carrier.place_call([Press("1"), Press("8")], caller="+14155550203")
    assert record.errors == []
    assert service.app.state.clock.offset == 0.0
    assert not Settings(public_url="https://hotline.example.com").clock_movable
    assert Settings(public_url="").clock_movable


@pytest.mark.parametrize("advance", ["-5", "soon", "1e9"])
async def test_a_clock_moved_by_nonsense_is_refused_with_the_apis_422_shape(
    service: Service, settings: Settings, advance: str
) -> None:
    url = settings.public_url.rstrip("/") + "/dev/clock"
    form = {"advance": advance}
    before = service.app.state.clock.offset
    async with httpx.AsyncClient(transport=service.transport, base_url=url) as client:
        signed = {"X-Twilio-Signature": sign(settings.twilio_auth_token, url, form)}
        refused = await client.post(url, data=form, headers=signed)
        unsigned = await client.post(url, data=form)
    assert refused.status_code == 422
    [problem] = refused.json()["detail"]
    assert problem["loc"] == ["body", "advance"] and problem["type"] == "value_error"
    assert "seconds from 0 to" in problem["msg"]
    assert unsigned.status_code == 403
    assert service.app.state.clock.offset == before
