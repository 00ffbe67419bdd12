"""Status callbacks: only a final status ends a call, and a stale one changes nothing."""

from __future__ import annotations

import asyncio
import html
import re
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
from twilio.request_validator import RequestValidator

from tests.telephony.conftest import Service
from tests.telephony.test_calls import _call, _post

SID = "CA" + "5" * 32
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
ACTION = re.compile(r'<Gather action="([^"]+)"')
WAIT_URL = re.compile(r'waitUrl="([^"]+)"')


async def _post_url(service: Service, url: str, params: dict[str, str]) -> httpx.Response:
    signature = RequestValidator(service.settings.twilio_auth_token).compute_signature(url, params)
    async with httpx.AsyncClient(transport=service.transport) as client:
        return await client.post(url, data=params, headers={"X-Twilio-Signature": signature})


def _status(status: str, sequence: int, seconds: int) -> dict[str, str]:
    return {
        **_call(SID),
        "CallStatus": status,
        "SequenceNumber": str(sequence),
        "Timestamp": format_datetime(T0 + timedelta(seconds=seconds)),
        "CallDuration": str(seconds),
    }


async def _ended_events(service: Service) -> list[dict[str, object]]:
    async with service.api() as api:
        for _ in range(100):
            found = (await api.get("/api/tickets", params={"caller": _call()["From"]})).json()
            items = found["items"] if isinstance(found, dict) else found
            if items:
                full = (await api.get(f"/api/tickets/{items[0]['id']}")).json()
                ended = [e for e in full["events"] if e["type"] == "call.ended"]
                if ended:
                    return ended
            await asyncio.sleep(0.1)
    return []


async def test_ringing_keeps_a_queued_caller_queued_and_a_late_callback_changes_nothing(
    service: Service,
) -> None:
    # The accounts agent is away for a moment: callers wait for her.
    await service.add_agent("ana", skills={"account_inquiry": 5})
    async with service.api() as api:
        assert (await api.put("/api/agents/ana/status", json={"status": "away"})).is_success
    menu = await _post(service, "/twilio/voice", _call(SID))
    language = html.unescape(ACTION.search(menu.text).group(1))  # type: ignore[union-attr]
    main = await _post_url(service, language, {**_call(SID), "Digits": "1"})
    choice = html.unescape(ACTION.search(main.text).group(1))  # type: ignore[union-attr]
    queued = await _post_url(service, choice, {**_call(SID), "Digits": "3"})
    assert "<Enqueue" in queued.text, queued.text  # nobody to take it: the caller waits
    wait_url = html.unescape(WAIT_URL.search(queued.text).group(1))  # type: ignore[union-attr]

    # Twilio reports the call ringing and in progress while the caller waits.
    for sequence, status in enumerate(("ringing", "in-progress")):
        answer = await _post(service, "/twilio/status", _status(status, sequence, sequence))
        assert answer.status_code == 200
    waiting = await _post_url(service, wait_url, {**_call(SID), "QueueTime": "5"})
    assert "<Leave" not in waiting.text and ("<Play" in waiting.text or "<Say" in waiting.text)

    # The end arrives, then a callback sent earlier (lower SequenceNumber) arrives late.
    await _post(service, "/twilio/status", _status("completed", 3, 60))
    await _post(service, "/twilio/status", _status("in-progress", 2, 30))
    ended = await _ended_events(service)
    assert [e["data"]["status"] for e in ended] == ["completed"]  # type: ignore[index]
