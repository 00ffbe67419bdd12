"""Hypothesis over signed carrier webhooks: whatever the parameters, the answer is valid TwiML.

Each example is a correctly signed POST to one of our webhooks, with the
carrier's fields (and our own query parameters) drawn from plausible and
absurd values alike, for a handful of calls that move on as the examples
go. The service must answer 200 with a TwiML `<Response>` of verbs the
carrier knows, so a caller always hears something; a wrong signature must
still get 403.
"""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import httpx
import hypothesis
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator

from ivr.telephony.hooks import HOOKS
from tests.telephony.conftest import Service

CALLS = [f"CA{n:032x}" for n in range(4)]
VERBS = {
    "Say", "Play", "Pause", "Gather", "Record", "Redirect", "Enqueue", "Dial",
    "Hangup", "Leave", "Reject", "Number", "Client", "Sip", "Queue",
}  # fmt: skip

text = st.text(max_size=40)
digits = st.text(alphabet="0123456789*#", max_size=6)
numbers = st.one_of(st.sampled_from(["+14155550199", "+8613800001111", "anonymous", ""]), text)
statuses = st.sampled_from(
    ["queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"]
)
carrier_fields: dict[str, st.SearchStrategy[str]] = {
    "From": numbers,
    "To": numbers,
    "CallStatus": st.one_of(statuses, text),
    "Digits": st.one_of(digits, text),
    "SpeechResult": st.one_of(
        st.sampled_from(["I lost my card", "我的卡丢了", "agent", "balance please"]), text
    ),
    "Confidence": st.one_of(st.floats(0, 1).map(str), text),
    "DialCallStatus": st.one_of(statuses, text),
    "DialCallDuration": st.one_of(st.integers(0, 10_000).map(str), text),
    "QueueResult": st.one_of(st.sampled_from(["bridged", "hangup", "leave", "error"]), text),
    "QueueTime": st.one_of(st.integers(0, 10_000).map(str), text),
    "CallDuration": st.one_of(st.integers(0, 10_000).map(str), text),
    "SequenceNumber": st.one_of(st.integers(0, 99).map(str), text),
    "Timestamp": text,
    "RecordingDuration": st.one_of(st.integers(0, 700).map(str), text),
}
our_query: dict[str, st.SearchStrategy[str]] = {
    "flow": st.one_of(st.just("main"), text),
    "node": st.one_of(st.sampled_from(["language", "main_menu", "describe", "survey"]), text),
    "s": st.one_of(st.integers(-1, 50).map(str), text),
    "silence": st.one_of(st.just("1"), text),
}


@st.composite
def webhooks(draw: st.DrawFn) -> tuple[str, dict[str, str], dict[str, str]]:
    """(path, query, form) of one carrier webhook, CallSid and AccountSid included."""
    hook = draw(st.sampled_from(HOOKS))
    form = {
        "CallSid": draw(st.one_of(st.sampled_from(CALLS), text)),
        "AccountSid": "AC" + "0" * 32,
    }
    for name in draw(st.sets(st.sampled_from(sorted(carrier_fields)), max_size=6)):
        form[name] = draw(carrier_fields[name])
    query = {
        name: draw(our_query[name])
        for name in draw(st.sets(st.sampled_from(sorted(our_query)), max_size=4))
    }
    return "/twilio" + hook.path, query, form


def _clean(value: str) -> str:
    # A form field cannot carry NUL through every HTTP stack; the service sees the rest.
    return value.replace("\x00", "")


@hypothesis.settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture],
)
@hypothesis.given(webhook=webhooks())
async def test_every_signed_webhook_gets_valid_twiml(
    service: Service, webhook: tuple[str, dict[str, str], dict[str, str]]
) -> None:
    path, query, form = webhook
    form = {k: _clean(v) for k, v in form.items()}
    url = service.settings.public_url + path + ("?" + urlencode(query) if query else "")
    signature = RequestValidator(service.settings.twilio_auth_token).compute_signature(url, form)
    async with httpx.AsyncClient(transport=service.transport) as client:
        answer = await client.post(url, data=form, headers={"X-Twilio-Signature": signature})
        forged = await client.post(url, data=form, headers={"X-Twilio-Signature": "x" + signature})
    assert forged.status_code == 403
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "Response"
    used: set[str] = {element.tag for element in root.iter()} - {"Response"}
    assert used <= VERBS, used
