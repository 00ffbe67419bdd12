"""Simulated time moves the service's clock, so back-to-back simulated calls do not wait
out a real 30-second wrap-up; a service with a public URL keeps real time."""

from __future__ import annotations

import pytest

from ivr.config import Settings
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
