"""Callers who describe their problem in their own words: our own speech pipeline end to end.

The simulated carrier speaks the caller's words with espeak-ng into the
`<Record>`, serves the recording from a loopback host, and the service fetches,
transcribes (Whisper, the default engine), reads the topic and routes. Mandarin
callers: tests/telephony/test_mandarin_speech.py.
"""

from __future__ import annotations

import asyncio

from ivr.simulator.carrier import DEFAULT_ACCOUNT_SID
from ivr.simulator.recordings import RecordingServer
from ivr.simulator.script import Press, Speak
from tests.telephony.conftest import Service
from tests.telephony.test_calls import ticket_of


async def test_a_caller_describing_a_lost_card_reaches_the_card_team(service: Service) -> None:
    await service.add_agent("cara", skills={"lost_stolen_card": 5})
    await service.add_agent("gus", skills={"general": 5, "account_inquiry": 5})
    record = await service.carrier().place_call(
        [Press("1"), Press("8"), Speak("I lost my credit card, please block my card"), Press("4")]
    )
    assert record.errors == []
    assert "One moment" in record.transcript or "one moment" in record.transcript
    assert "<Identity>cara</Identity>" in "".join(r.body for r in record.requests)
    ticket = await ticket_of(service, record, csat=4)
    assert ticket["topic"] == "lost_stolen_card"
    kinds = [e["type"] for e in ticket["events"]]
    assert "speech.recorded" in kinds and "speech.transcribed" in kinds
    said = next(e for e in ticket["events"] if e["type"] == "speech.transcribed")
    assert "card" in said["data"]["text"]


async def test_past_the_deadline_the_caller_is_routed_and_the_transcript_follows(
    service: Service,
) -> None:
    service.settings.transcription_deadline_seconds = 0.0
    await service.add_agent("gus", skills={"general": 5})
    steps = [Press("1"), Press("8"), Speak("I want to check my savings balance"), Press("3")]
    # Twilio keeps recordings after the call; so does this recording host.
    with RecordingServer(account_sid=DEFAULT_ACCOUNT_SID) as recordings:
        record = await service.carrier(recordings=recordings).place_call(steps)
        assert record.errors == []
        assert "<Identity>gus</Identity>" in "".join(r.body for r in record.requests)
        late = await ticket_of(service, record, csat=3, ended=True)
        for _ in range(50):
            kinds = [e["type"] for e in late["events"]]
            if "speech.transcribed" in kinds and late["topic"] == "account_inquiry":
                break
            await asyncio.sleep(0.2)
            late = await ticket_of(service, record, csat=3)
    routed = next(e for e in late["events"] if e["type"] == "routing.decided")
    assert routed["data"]["agent"]["id"] == "gus"  # routed on what was known: general
    # The worker finished after the caller moved on; its transcript still joined the
    # ticket, and with it the topic the caller described.
    assert "speech.transcribed" in [e["type"] for e in late["events"]]
    assert late["topic"] == "account_inquiry"
