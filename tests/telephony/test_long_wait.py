"""The longest wait the policy allows: the caller chooses a callback or a voicemail."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from ivr.simulator import verbs as sim
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.script import Press, ScriptStep, Speak
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of


@pytest.fixture
def config_dir(config_dir: Path) -> Path:
    """The shipped policy, with a maximum wait of one second."""
    path = config_dir / "routing" / "policy.yaml"
    policy = yaml.safe_load(path.read_text())
    policy["max_wait_seconds"] = 1
    policy["callback_after_seconds"] = 1
    for queue in policy.get("queues", {}).values():
        queue.pop("max_wait_seconds", None)
        queue.pop("callback_after_seconds", None)
    path.write_text(yaml.safe_dump(policy, allow_unicode=True))
    return config_dir


class PatientCaller(ScriptedCaller):
    """Waits in the queue in real time; at the long-wait choice, presses `choice`."""

    def __init__(self, steps: list[ScriptStep], *, choice: str) -> None:
        super().__init__(steps)
        self.choice = choice
        self.offered = False

    async def at_gather(self, gather: sim.Gather) -> ScriptStep | None:
        if gather.action and "/twilio/queue/choice" in gather.action:
            self.offered = True
            return Press(self.choice)
        if gather.action and "/twilio/queue/key" in gather.action:
            return None  # keeps waiting rather than asking for a callback
        return await super().at_gather(gather)

    async def after_wait_round(self, round_number: int) -> bool:
        await asyncio.sleep(0.3)  # routing's clock is real: let the wait grow
        return False


async def _away_agent(service: Service) -> None:
    await service.add_agent("ana", skills={"account_inquiry": 5})
    async with service.api() as api:
        assert (await api.put("/api/agents/ana/status", json={"status": "away"})).is_success


@pytest.mark.parametrize(("choice", "outcome"), [("1", "callback"), ("2", "voicemail")])
async def test_after_the_longest_wait_the_caller_chooses(
    service: Service, choice: str, outcome: str
) -> None:
    await _away_agent(service)
    caller = PatientCaller(
        [Press("1"), Press("3"), Speak("Please call me back about my statement")], choice=choice
    )
    record = await service.carrier().place_call(caller_input=caller)
    assert record.errors == []
    assert caller.offered, record.transcript
    assert "To leave a message, press 2." in record.transcript
    ticket = await ticket_of(service, record, outcome=outcome)
    assert ticket["topic"] == "account_inquiry"
