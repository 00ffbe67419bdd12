"""A message is "saved" only when it holds speech; a silent one is asked for again.

After hours (closed around the clock for tests named `..._after_hours_...`) the
caller leaves a message in the voicemail's `<Record>`: line noise made with sox
(a recording the carrier calls 12 s long, with nothing said in it), or real
recorded speech (../shared/data/speech, read in place). The service's own worker
checks each take for speech while the caller holds; the caller hears only what is
true, and every take reaches the ticket. Real Redis, SQLite, Whisper and the
shipped flows; the carrier simulated.
"""

from __future__ import annotations

import asyncio
import html
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ivr.config import Settings
from ivr.simulator.carrier import DEFAULT_ACCOUNT_SID
from ivr.simulator.record import CallRecord
from ivr.simulator.recordings import RecordingServer
from ivr.simulator.script import Audio, Press, ScriptStep
from ivr.speech.recognize import character_accuracy, word_accuracy
from tests.faults.audit import dead_air
from tests.speech.conftest import on_the_phone
from tests.telephony.conftest import Service
from tests.telephony.test_calls import _call as _carrier_params
from tests.telephony.test_calls import _post, ticket_of
from tests.telephony.test_mandarin_speech import _with_reading
from tests.telephony.test_status_order import _post_url

LANGUAGES = ("en-US", "zh-CN")
LANGUAGE_KEY = {"en-US": "1", "zh-CN": "2"}
MESSAGE_KEY = Press("3")  # the after-hours menu: leave a message
SPOKEN = {"en-US": "en/011.wav", "zh-CN": "zh/005.wav"}
SAVED = {"en-US": "Your message is saved", "zh-CN": "您的留言已保存"}
NOT_HEARD = {"en-US": "We did not hear a message", "zh-CN": "我们没有听到您的留言"}
AGAIN = {"en-US": "We would like to hear you", "zh-CN": "我们希望听到您的声音"}
OFFER = {"en-US": "To have our team call you back", "zh-CN": "如需我们的团队在最早的时间给您回电"}
BOOKED = {"en-US": "Your callback is booked for", "zh-CN": "已为您预约回电"}
KEPT = {"en-US": "Your recording is kept", "zh-CN": "您的录音已留存"}
GATHER_ACTION = re.compile(r'<Gather action="([^"]+)"')
RECORD_ACTION = re.compile(r'<Record action="([^"]+)"')


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """A check deadline a busy machine cannot miss: these tests are about what the caller
    is told, not how quickly. Tests named `..._unchecked_...` run with no worker at all
    and no time to wait, so nothing can tell whether their message held speech."""
    settings.transcription_deadline_seconds = 120.0
    if "unchecked" in request.node.name:
        settings.in_process_worker = False
        settings.transcription_deadline_seconds = 0.0
    return settings


def noise(path: Path, kind: str, *, seconds: int, volume: float) -> Path:
    """A take with nothing said in it, as an 8 kHz phone line would carry it."""
    command = ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(path)]
    subprocess.run([*command, "synth", str(seconds), kind, "vol", str(volume)], check=True)
    return path


def hiss(folder: Path) -> Path:
    """12 s of faint line hiss (about -53 dBFS): louder than digital silence, no words."""
    return noise(folder / "hiss.wav", "whitenoise", seconds=12, volume=0.01)


def rumble(folder: Path) -> Path:
    """15 s of loud line rumble (about -25 dBFS), for which Whisper alone writes "you"."""
    return noise(folder / "rumble.wav", "brownnoise", seconds=15, volume=0.1)


async def _call(
    service: Service, steps: list[ScriptStep], *, language: str, recordings: Any = None
) -> CallRecord:
    carrier = service.carrier(recordings=recordings)
    record = await carrier.place_call([Press(LANGUAGE_KEY[language]), *steps], language=language)
    assert record.errors == []
    assert dead_air([record]) == []  # "one moment" and its polls always say or move on
    return record


async def _with_events(
    service: Service, record: CallRecord, kinds: dict[str, int], **expect: Any
) -> dict[str, Any]:
    """The ticket once it holds `kinds` (type -> how many), worker events included."""
    ticket = await ticket_of(service, record, **expect)
    for _ in range(300):  # a generous bound: the worker's events are written after its check
        if all(len(_of(ticket, kind)) >= n for kind, n in kinds.items()):
            return ticket
        await asyncio.sleep(0.2)
        ticket = await ticket_of(service, record, **expect)
    raise AssertionError(f"{kinds} never joined {ticket['id']}: {ticket['events']}")


def _of(ticket: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["data"] for e in ticket["events"] if e["type"] == kind]


def _in_order(text: str, *parts: str) -> bool:
    places = [text.find(part) for part in parts]
    return -1 not in places and places == sorted(places)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_a_silent_message_is_asked_for_again_then_a_callback_is_offered(
    service: Service, tmp_path: Path, language: str
) -> None:
    takes = [Audio(hiss(tmp_path)), Audio(rumble(tmp_path))]
    record = await _call(service, [MESSAGE_KEY, *takes, Press("1")], language=language)
    text = record.transcript
    assert SAVED[language] not in text
    assert text.count(NOT_HEARD[language]) == 1  # asked once more, and only once
    assert _in_order(text, NOT_HEARD[language], OFFER[language], BOOKED[language]), text
    ticket = await _with_events(service, record, {"speech.silent": 2}, outcome="callback")
    # Both takes are on the ticket, each said to hold no speech; no words were made up.
    recorded = [e["recording_url"] for e in _of(ticket, "speech.recorded")]
    silent = _of(ticket, "speech.silent")
    assert sorted(e["recording_url"] for e in silent) == sorted(recorded) and len(recorded) == 2
    assert all(e["speech_seconds"] < 0.5 and e["duration"] >= 12 for e in silent)
    assert _of(ticket, "speech.transcribed") == []
    lines = (ticket["transcript"] or "").splitlines()
    assert lines and all(line.startswith("[keys]") for line in lines)  # only the keys pressed
    assert _of(ticket, "voicemail.left") == []
    assert len(_of(ticket, "callback.requested")) == 1


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_a_silent_message_then_a_spoken_one_is_saved_with_its_words(
    service: Service, tmp_path: Path, language: str
) -> None:
    said = on_the_phone(SPOKEN[language], tmp_path / "message.wav")
    # Twilio keeps recordings after the call; so does this host, while the worker fetches.
    with RecordingServer(account_sid=DEFAULT_ACCOUNT_SID) as recordings:
        steps: list[ScriptStep] = [MESSAGE_KEY, Audio(hiss(tmp_path)), Audio(said.path)]
        record = await _call(service, steps, language=language, recordings=recordings)
        ticket = await _with_reading(service, record, outcome="voicemail")
    text = record.transcript
    assert _in_order(text, NOT_HEARD[language], SAVED[language]), text
    assert OFFER[language] not in text and KEPT[language] not in text
    first, second = (e["recording_url"] for e in _of(ticket, "speech.recorded"))
    [silent] = _of(ticket, "speech.silent")
    assert silent["recording_url"] == first
    [left] = _of(ticket, "voicemail.left")
    assert left == {**left, "recording_url": second, "checked": True}
    [heard] = _of(ticket, "speech.transcribed")
    accuracy = word_accuracy if language == "en-US" else character_accuracy
    assert accuracy(said.text, heard["text"]) >= 0.7, heard["text"]
    assert heard["text"] in ticket["transcript"]
    # The message was promised a callback, and it is booked.
    assert len(_of(ticket, "callback.requested")) == 1 and ticket["callback_at"] is not None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_after_hours_an_unchecked_message_is_kept_for_an_agent_and_said_so(
    service: Service, tmp_path: Path, language: str
) -> None:
    # No worker runs and there is no time to wait: whether the message holds speech is
    # not known, so the caller hears neither "saved" nor "we did not hear you".
    said = on_the_phone(SPOKEN[language], tmp_path / "message.wav")
    record = await _call(service, [MESSAGE_KEY, Audio(said.path)], language=language)
    text = record.transcript
    assert KEPT[language] in text
    assert SAVED[language] not in text and NOT_HEARD[language] not in text
    ticket = await ticket_of(service, record, outcome="voicemail")
    [recorded] = _of(ticket, "speech.recorded")
    [left] = _of(ticket, "voicemail.left")
    assert left == {**left, "recording_url": recorded["recording_url"], "checked": False}
    assert {"where": "speech check", "message": "deadline passed"} in _of(ticket, "error")
    assert len(_of(ticket, "callback.requested")) == 1


async def test_a_silent_description_is_asked_for_again_then_the_caller_is_routed(
    service: Service, tmp_path: Path
) -> None:
    await service.add_agent("gus", skills={"general": 5})
    takes = [Audio(hiss(tmp_path)), Audio(rumble(tmp_path))]
    record = await _call(service, [Press("8"), *takes, Press("4")], language="en-US")
    assert record.transcript.count(AGAIN["en-US"]) == 1
    assert "<Identity>gus</Identity>" in "".join(r.body for r in record.requests)
    ticket = await _with_events(service, record, {"speech.silent": 2}, csat=4)
    assert _of(ticket, "speech.transcribed") == []  # no words were made up for the noise
    assert ticket["topic"] in ("general", None)


async def _message_left(service: Service, sid: str, url: str, *, status: str) -> str:
    """The carrier by hand, as Twilio documents it: English, the after-hours menu's
    message key, then the `<Record>`'s action with a 9 s recording and `status`."""
    params = {**_carrier_params(sid), "CallStatus": "in-progress"}
    answer = (await _post(service, "/twilio/voice", _carrier_params(sid))).text
    for key in ("1", "3"):
        action = html.unescape(GATHER_ACTION.search(answer)[1])  # type: ignore[index]
        answer = (await _post_url(service, action, {**params, "Digits": key})).text
    action = html.unescape(RECORD_ACTION.search(answer)[1])  # type: ignore[index]
    recording = {"RecordingUrl": url, "RecordingDuration": "9", "RecordingSid": "RE" + "1" * 32}
    return (await _post_url(service, action, {**params, **recording, "CallStatus": status})).text


@pytest.mark.parametrize("hangs_up", ["as_the_recording_ends", "while_it_is_checked"])
async def test_after_hours_a_caller_who_hangs_up_after_their_message_has_it_kept(
    service: Service, tmp_path: Path, hangs_up: str
) -> None:
    sid = "CA" + ("7" if hangs_up == "while_it_is_checked" else "8") * 32
    with RecordingServer(account_sid=DEFAULT_ACCOUNT_SID) as recordings:
        url = recordings.publish_file(on_the_phone(SPOKEN["en-US"], tmp_path / "m.wav").path).url
        if hangs_up == "as_the_recording_ends":
            # Twilio still posts the action; nobody hears the answer, so nothing is asked.
            await _message_left(service, sid, url, status="completed")
        else:
            holding = await _message_left(service, sid, url, status="in-progress")
            assert "One moment" in holding and "<Redirect" in holding
            ended = {**_carrier_params(sid), "CallStatus": "completed", "SequenceNumber": "9"}
            await _post(service, "/twilio/status", ended)
        call = CallRecord(call_sid=sid, caller=_carrier_params(sid)["From"], called="")
        ticket = await ticket_of(service, call, outcome="voicemail")
    [left] = _of(ticket, "voicemail.left")
    assert left == {**left, "recording_url": url, "checked": False}
    assert len(_of(ticket, "callback.requested")) == 1 and ticket["callback_at"] is not None
