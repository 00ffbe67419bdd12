"""Fetching recordings from a real HTTP server on 127.0.0.1 behaving like Twilio's media host."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ivr.config import Settings
from ivr.errors import AudioError
from ivr.speech.fetch import carrier_credentials, fetch_recording, host_allowed

AUDIO = b"RIFF" + b"\x00" * 40 + b"audio bytes"
ROUTES: dict[str, tuple[int, bytes, str]] = {
    "/ok.wav": (200, AUDIO, "audio/x-wav"),
    "/late.wav": (200, AUDIO, "audio/x-wav"),
    "/slow.wav": (200, AUDIO, "audio/x-wav"),
    "/boom.wav": (500, b"oops", "text/plain"),
    "/page.html": (200, b"<html>login</html>", "text/html"),
    "/big.wav": (200, b"\x00" * 5000, "audio/x-wav"),
    "/empty.wav": (200, b"", "audio/x-wav"),
}
REDIRECTS = {
    "/elsewhere.wav": "http://recordings.example.net/stolen.wav",
    "/moved.wav": "/ok.wav",
}
FAST = {"retry_delays": (0.01, 0.01, 0.01), "timeout_seconds": 0.5}


@dataclass
class RecordingHost:
    """What the fake media host saw, and its base URL."""

    base: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    not_ready: int = 2

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def media_host() -> Iterator[RecordingHost]:
    host = RecordingHost()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, kind: str = "audio/x-wav") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            host.requests.append((self.path, self.headers.get("Authorization")))
            if self.path == "/late.wav" and host.not_ready > 0:
                # Twilio answers 404 until the recording is processed.
                host.not_ready -= 1
                self._send(404, b"not yet", "application/json")
                return
            if self.path == "/slow.wav":
                time.sleep(1.0)
            if self.path in REDIRECTS:
                self.send_response(302)
                self.send_header("Location", REDIRECTS[self.path])
                self.end_headers()
                return
            self._send(*ROUTES.get(self.path, (404, b"no such recording", "text/plain")))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    host.base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


def test_allow_list_entries_are_hosts_or_host_and_port() -> None:
    allowed = frozenset({"api.twilio.com", "127.0.0.1:9000"})
    assert host_allowed("https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", allowed)
    assert host_allowed("https://API.twilio.com:8443/x", allowed)
    assert host_allowed("http://127.0.0.1:9000/a.wav", allowed)
    assert not host_allowed("http://127.0.0.1:9001/a.wav", allowed)
    assert not host_allowed("https://api.twilio.com.evil.example/x", allowed)
    assert not host_allowed("file:///etc/passwd", allowed)
    assert not host_allowed("ftp://api.twilio.com/x", allowed)


async def test_credentials_never_travel_over_plain_http(
    settings: Settings, media_host: RecordingHost
) -> None:
    assert settings.twilio_account_sid and settings.twilio_auth_token
    assert await fetch_recording(media_host.url("/ok.wav"), settings=settings, **FAST) == AUDIO
    assert media_host.requests == [("/ok.wav", None)]


def test_credentials_go_over_https_to_the_carrier_only(settings: Settings) -> None:
    auth = carrier_credentials("https://api.twilio.com/2010-04-01/Recordings/RE1", settings)
    assert auth is not None
    expected = base64.b64encode(
        f"{settings.twilio_account_sid}:{settings.twilio_auth_token}".encode()
    ).decode()
    assert auth._auth_header == f"Basic {expected}"
    for elsewhere in (
        "http://api.twilio.com/x.wav",
        "https://127.0.0.1/x.wav",
        "https://api.twilio.com.evil.example/x.wav",
        "https://eviltwilio.com/x.wav",
    ):
        assert carrier_credentials(elsewhere, settings) is None, elsewhere


async def test_a_host_not_on_the_list_gets_no_request(
    settings: Settings, media_host: RecordingHost
) -> None:
    # Same server, but reached as "localhost", which is not on IVR_RECORDING_HOSTS.
    url = media_host.url("/ok.wav").replace("127.0.0.1", "localhost")
    with pytest.raises(AudioError, match="IVR_RECORDING_HOSTS"):
        await fetch_recording(url, settings=settings, **FAST)
    assert media_host.requests == []


async def test_a_redirect_to_a_foreign_host_is_not_followed(
    settings: Settings, media_host: RecordingHost
) -> None:
    with pytest.raises(AudioError, match=r"recordings\.example\.net"):
        await fetch_recording(media_host.url("/elsewhere.wav"), settings=settings, **FAST)
    assert await fetch_recording(media_host.url("/moved.wav"), settings=settings, **FAST) == AUDIO
    # Even to a host that is allowed too: a redirect stays on the host it came from.
    settings.recording_hosts = "127.0.0.1,localhost"
    REDIRECTS["/to-localhost.wav"] = media_host.url("/ok.wav").replace("127.0.0.1", "localhost")
    try:
        with pytest.raises(AudioError, match="another host"):
            await fetch_recording(media_host.url("/to-localhost.wav"), settings=settings, **FAST)
    finally:
        del REDIRECTS["/to-localhost.wav"]
    assert media_host.requests[-1][0] == "/to-localhost.wav"


async def test_retries_while_the_recording_is_not_ready(
    settings: Settings, media_host: RecordingHost
) -> None:
    assert await fetch_recording(media_host.url("/late.wav"), settings=settings, **FAST) == AUDIO
    assert [path for path, _ in media_host.requests] == ["/late.wav"] * 3


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/gone.wav", "404"),
        ("/boom.wav", "500"),
        ("/page.html", "not audio"),
        ("/big.wav", "more than the 1000"),
        ("/empty.wav", "empty"),
    ],
)
async def test_bad_answers_are_clear_errors(
    settings: Settings, media_host: RecordingHost, path: str, message: str
) -> None:
    settings.recording_max_bytes = 1000
    with pytest.raises(AudioError, match=message):
        await fetch_recording(media_host.url(path), settings=settings, **FAST)


async def test_gives_up_on_a_missing_recording_after_a_few_tries(
    settings: Settings, media_host: RecordingHost
) -> None:
    with pytest.raises(AudioError, match="404"):
        await fetch_recording(media_host.url("/gone.wav"), settings=settings, **FAST)
    assert len(media_host.requests) == 4


async def test_a_slow_host_times_out(settings: Settings, media_host: RecordingHost) -> None:
    with pytest.raises(AudioError, match="did not answer in time"):
        await fetch_recording(
            media_host.url("/slow.wav"), settings=settings, retry_delays=(), timeout_seconds=0.3
        )
