"""The carrier callback schemas: Twilio's fields typed once at the edge, ours kept apart."""

from __future__ import annotations

from ivr.telephony.hooks import HOOKS, fingerprint
from ivr.telephony.schemas import (
    CallStatusCallback,
    DialResult,
    GatherResult,
    HookQuery,
    QueueWait,
    RecordingResult,
)


def test_twilio_fields_are_typed_and_the_rest_of_the_form_is_ignored() -> None:
    form = {
        "CallSid": "CA1",
        "From": "+14155550100",
        "To": "+18005550100",
        "Digits": "12",
        "SpeechResult": "lost card",
        "Confidence": "0.87",
        "FromCity": "SAN FRANCISCO",
    }
    gathered = GatherResult.model_validate(form)
    assert (gathered.CallSid, gathered.From, gathered.To) == ("CA1", "+14155550100", "+18005550100")
    assert (gathered.Digits, gathered.SpeechResult, gathered.Confidence) == (
        "12",
        "lost card",
        0.87,
    )
    assert not hasattr(gathered, "FromCity")


def test_unreadable_numbers_read_as_their_defaults_so_the_caller_still_hears_an_answer() -> None:
    assert GatherResult.model_validate({"Confidence": "high"}).Confidence is None
    assert GatherResult.model_validate({"Confidence": "7"}).Confidence == 1.0
    dialled = DialResult.model_validate({"DialCallDuration": "-3"})
    assert (dialled.DialCallStatus, dialled.DialCallDuration) == ("failed", 0.0)
    assert RecordingResult.model_validate({"RecordingDuration": "12"}).RecordingDuration == 12.0
    assert QueueWait.model_validate({"QueuePosition": "x"}).QueuePosition is None
    ended = CallStatusCallback.model_validate({"CallDuration": "61"})
    assert (ended.CallStatus, ended.CallDuration) == ("completed", 61.0)


def test_our_query_is_apart_from_the_carriers_form() -> None:
    query = HookQuery.model_validate(
        {"flow": "main", "node": "menu", "s": "4", "silence": "1", "Digits": "9"}
    )
    assert (query.flow, query.node, query.s, query.silence, query.empty) == (
        "main",
        "menu",
        4,
        True,
        False,
    )
    assert not hasattr(query, "Digits")  # a carrier field in our query is not ours to read
    assert GatherResult.model_validate({"flow": "evil"}).model_dump().get("flow") is None


def test_every_hook_has_its_own_path_and_kind() -> None:
    assert len({hook.path for hook in HOOKS}) == len({hook.kind for hook in HOOKS}) == len(HOOKS)


def test_a_retry_has_the_fingerprint_of_the_original_and_another_step_does_not() -> None:
    url = "https://bank.example/twilio/gather?flow=main&node=menu&s=3"
    form = {"CallSid": "CA1", "Digits": "1"}
    assert fingerprint(url, form) == fingerprint(url, dict(reversed(list(form.items()))))
    assert fingerprint(url, form) != fingerprint(url.replace("s=3", "s=4"), form)
    assert fingerprint(url, form) != fingerprint(url, {**form, "Digits": "2"})
