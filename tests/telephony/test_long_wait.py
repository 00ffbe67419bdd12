"""The longest wait the policy allows: the caller chooses a callback or a voicemail.

A message left from the queue is treated as one left after hours
(tests/telephony/test_silent_messages.py): "saved" only when it holds speech; an
empty or silent take is asked for once more, then a callback is booked.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml

from ivr.config import Settings
from ivr.simulator import verbs as sim
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.script import Audio, Press, ScriptStep, Silence, Speak
from tests.faults.audit import dead_air
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of
from tests.telephony.test_silent_messages import (
    AGAIN,
    BOOKED,
    LANGUAGE_KEY,
    LANGUAGES,
    NOT_HEARD,
    SAVED,
    hiss,
    rumble,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A message's check for speech has all the time a busy machine needs."""
    settings.transcription_deadline_seconds = 120.0
    return settings


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


async def _events(service: Service, record: object, kind: str, count: int) -> dict[str, object]:
    """The ticket (outcome callback) once `count` events of `kind` joined it."""
    for _ in range(300):
        ticket = await ticket_of(service, record, outcome="callback")  # type: ignore[arg-type]
        if sum(e["type"] == kind for e in ticket["events"]) >= count:
            return ticket
        await asyncio.sleep(0.2)
    raise AssertionError(f"{count} {kind} never joined {ticket['id']}: {ticket['events']}")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_silent_message_from_the_queue_is_asked_for_again_then_a_callback_booked(
    service: Service, tmp_path: Path, language: str
) -> None:
    await _away_agent(service)
    takes = [Audio(hiss(tmp_path)), Audio(rumble(tmp_path))]
    caller = PatientCaller([Press(LANGUAGE_KEY[language]), Press("3"), *takes], choice="2")
    record = await service.carrier().place_call(caller_input=caller, language=language)
    assert record.errors == [] and dead_air([record]) == []
    assert caller.offered, record.transcript
    text = record.transcript
    assert SAVED[language] not in text
    assert text.count(NOT_HEARD[language]) == 1
    assert text.find(NOT_HEARD[language]) < text.find(BOOKED[language]), text
    ticket = await _events(service, record, "speech.silent", 2)
    kinds = [e["type"] for e in ticket["events"]]
    assert "voicemail.left" not in kinds and kinds.count("callback.requested") == 1
    recorded = {
        e["data"]["recording_url"] for e in ticket["events"] if e["type"] == "speech.recorded"
    }
    silent = {e["data"]["recording_url"] for e in ticket["events"] if e["type"] == "speech.silent"}
    assert recorded == silent and len(silent) == 2  # both takes kept, each for what it held


async def test_an_empty_message_from_the_queue_then_a_silent_one_books_a_callback(
    service: Service, tmp_path: Path
) -> None:
    await _away_agent(service)
    caller = PatientCaller([Press("1"), Press("3"), Silence(), Audio(hiss(tmp_path))], choice="2")
    record = await service.carrier().place_call(caller_input=caller)
    assert record.errors == [] and dead_air([record]) == []
    text = record.transcript
    # Empty, then silent: that is the once more; the second take ends with the booking.
    assert text.count(AGAIN["en-US"]) == 1 and NOT_HEARD["en-US"] not in text
    assert SAVED["en-US"] not in text and BOOKED["en-US"] in text
    ticket = await _events(service, record, "speech.silent", 1)
    failed = [e["data"] for e in ticket["events"] if e["type"] == "speech.failed"]
    assert {"error": "nothing was recorded", "node": "voicemail"} in failed
    assert "voicemail.left" not in [e["type"] for e in ticket["events"]]
