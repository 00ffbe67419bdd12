"""`<Record>`: the caller's audio is served on the loopback and the service fetches it."""

from __future__ import annotations

import io
import math
import struct
import subprocess
import wave
from pathlib import Path

import httpx

from ivr.simulator import Audio, Carrier, Hangup, RecordingServer, Silence, Speak
from ivr.simulator.stand_in import StandIn

TOKEN = "simulator-test-token"
ACCOUNT = "AC" + "1" * 32


def tone(path: Path, *, seconds: float = 2.5, rate: int = 8000) -> Path:
    """A real WAV file: a 440 Hz tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / rate)))
        for n in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return path


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as reader:
        frames: int = reader.getnframes()
        rate: int = reader.getframerate()
    return frames / rate


class Fetcher:
    """The stand-in's record action: fetch the RecordingUrl like the service does."""

    def __init__(self) -> None:
        self.fetched: dict[str, bytes] = {}

    def __call__(self, params: dict[str, str]) -> str:
        for suffix in ("", ".wav", ".mp3"):
            response = httpx.get(params["RecordingUrl"] + suffix, timeout=10)
            assert response.status_code == 200, response.status_code
            self.fetched[suffix] = response.content
        return "<Say>Got it</Say><Hangup/>"


def carrier(stand_in: StandIn, **kw: object) -> Carrier:
    return Carrier(
        base_url="http://testserver",
        auth_token=TOKEN,
        transport=stand_in.transport(),
        account_sid=ACCOUNT,
        **kw,  # type: ignore[arg-type]
    )


async def test_an_audio_file_is_served_and_its_url_posted_to_the_action(tmp_path: Path) -> None:
    fetch = Fetcher()
    stand_in = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Say>Tell us after the beep</Say><Record action="/recorded" '
            'maxLength="30" recordingStatusCallback="/recording-status"/>',
            "/recorded": fetch,
        },
    )
    voice = tone(tmp_path / "caller.wav")
    record = await carrier(stand_in).place_call([Audio(voice)])

    posted = stand_in.to("/recorded")[0].params
    assert posted["RecordingUrl"].startswith("http://127.0.0.1:")
    assert f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE" in posted["RecordingUrl"]
    assert posted["RecordingSid"].startswith("RE") and posted["RecordingDuration"] == "2"
    assert fetch.fetched[""] == voice.read_bytes() == fetch.fetched[".wav"]
    assert fetch.fetched[".mp3"][:3] == b"ID3" or fetch.fetched[".mp3"][0] == 0xFF
    status = stand_in.to("/recording-status")[0].params
    assert status["RecordingStatus"] == "completed"
    assert status["RecordingSid"] == posted["RecordingSid"]
    assert [h.kind for h in record.heard] == ["say", "beep", "say"]
    assert record.said[-1] == "Got it"
    # The server lived only for the call.
    try:
        httpx.get(posted["RecordingUrl"], timeout=2)
    except httpx.HTTPError:
        pass
    else:
        raise AssertionError("the recording server is still serving after the call")


async def test_other_formats_are_served_as_wav(tmp_path: Path) -> None:
    source = tone(tmp_path / "caller.wav", seconds=1.5)
    mp3 = tmp_path / "caller.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(source), str(mp3)], check=True)
    fetch = Fetcher()
    stand_in = StandIn(TOKEN, {"/twilio/voice": '<Record action="/recorded"/>', "/recorded": fetch})
    await carrier(stand_in).place_call([Audio(mp3)])
    assert abs(wav_seconds(fetch.fetched[".wav"]) - 1.5) < 0.2


async def test_typed_words_are_spoken_into_the_recording() -> None:
    fetch = Fetcher()
    stand_in = StandIn(TOKEN, {"/twilio/voice": '<Record action="/recorded"/>', "/recorded": fetch})
    await carrier(stand_in).place_call([Speak("my card was stolen yesterday")], language="en-US")
    assert wav_seconds(fetch.fetched[".wav"]) > 1.0
    assert int(stand_in.to("/recorded")[0].params["RecordingDuration"]) >= 1


async def test_silence_records_nothing_and_the_document_goes_on() -> None:
    stand_in = StandIn(
        TOKEN,
        {"/twilio/voice": '<Record action="/recorded"/><Say>No message</Say>', "/recorded": ""},
    )
    record = await carrier(stand_in).place_call([Silence()])
    assert stand_in.to("/recorded") == []
    assert record.said == ["No message"]


async def test_hanging_up_at_the_beep_ends_the_call() -> None:
    stand_in = StandIn(TOKEN, {"/twilio/voice": '<Record action="/recorded"/>', "/recorded": ""})
    record = await carrier(stand_in).place_call([Hangup()])
    assert record.ended_by == "caller" and stand_in.to("/recorded") == []


async def test_a_missing_audio_file_is_noted_not_fatal(tmp_path: Path) -> None:
    stand_in = StandIn(
        TOKEN, {"/twilio/voice": '<Record action="/recorded"/><Say>Nothing</Say>', "/recorded": ""}
    )
    record = await carrier(stand_in).place_call([Audio(tmp_path / "nope.wav")])
    assert record.said == ["Nothing"]
    assert any("nope.wav" in n.text for n in record.notes)


async def test_a_shared_recording_server_can_be_passed_in(tmp_path: Path) -> None:
    fetch = Fetcher()
    stand_in = StandIn(TOKEN, {"/twilio/voice": '<Record action="/recorded"/>', "/recorded": fetch})
    with RecordingServer(account_sid=ACCOUNT) as server:
        await carrier(stand_in, recordings=server).place_call([Audio(tone(tmp_path / "a.wav"))])
        url = stand_in.to("/recorded")[0].params["RecordingUrl"]
        assert url.startswith(server.base_url)
        assert httpx.get(url, timeout=5).status_code == 200, "still served: the caller owns it"
        assert httpx.get(server.base_url + "/Recordings/REnope", timeout=5).status_code == 404
