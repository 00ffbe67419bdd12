"""A tiny HTTP server on the loopback that serves the caller's recordings.

Twilio hands the service a RecordingUrl and serves the audio there (WAV by default,
MP3 when `.mp3` is appended); the simulator does the same for `--audio FILE`.
"""

from __future__ import annotations

import io
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from ivr.errors import AudioError

ESPEAK_VOICES = {"en-US": "en-us", "zh-CN": "cmn"}


@dataclass(frozen=True)
class Recording:
    """A published recording: its sid, URL and length."""

    sid: str
    url: str
    duration: float


def _wav_seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as reader:
        frames: int = reader.getnframes()
        rate: int = reader.getframerate()
    return frames / float(rate or 1)


def _to_wav(path: Path) -> tuple[bytes, float]:
    """The file as WAV bytes and its length in seconds (ffmpeg decodes other formats)."""
    from pydub import AudioSegment  # imported late: pydub pulls in audioop at import

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioError(f"cannot read audio file {path}: {exc.strerror}") from exc
    try:
        return data, _wav_seconds(data)
    except (wave.Error, EOFError):
        pass  # not plain PCM WAV: let ffmpeg decode it
    try:
        segment = AudioSegment.from_file(io.BytesIO(data), format=path.suffix.lstrip(".") or None)
    except Exception as exc:  # pydub raises bare exceptions from ffmpeg
        raise AudioError(f"cannot decode audio file {path}: {exc}") from exc
    buffer = io.BytesIO()
    segment.export(buffer, format="wav")
    return buffer.getvalue(), len(segment) / 1000.0


def _to_mp3(wav: bytes) -> bytes:
    from pydub import AudioSegment

    buffer = io.BytesIO()
    AudioSegment.from_file(io.BytesIO(wav), format="wav").export(buffer, format="mp3")
    return buffer.getvalue()


def synthesize(text: str, *, language: str) -> bytes:
    """Speech for `text` as WAV, spoken by espeak-ng (for a typed answer to a `<Record>`)."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise AudioError("espeak-ng is not installed; give the recording as an audio file")
    voice = ESPEAK_VOICES.get(language, "en-us")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "speech.wav"
        result = subprocess.run(
            [binary, "-v", voice, "-w", str(out), text],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if result.returncode != 0 or not out.exists():
            raise AudioError(f"espeak-ng failed: {result.stderr.decode(errors='replace')}")
        return out.read_bytes()


class RecordingServer:
    """Serves published recordings at http://127.0.0.1:PORT/2010-04-01/Accounts/AC.../Recordings/RE..."""

    def __init__(self, *, account_sid: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._account_sid = account_sid
        self._files: dict[str, bytes] = {}
        self._fetched: set[str] = set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Where the server listens."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                # A short poll keeps stop() quick (it waits for the loop to notice).
                kwargs={"poll_interval": 0.05},
                name="ivr-recordings",
                daemon=True,
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def wait_until_fetched(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until every published recording was fetched at least once.

        Twilio keeps recordings after the call; a simulated call that ends while the
        service is still about to fetch one lingers here instead of vanishing.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if set(self._files) <= self._fetched:
                    return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)

    def __enter__(self) -> RecordingServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def publish_wav(self, wav: bytes, *, duration: float) -> Recording:
        """Make WAV bytes available under a new RecordingSid."""
        sid = "RE" + secrets.token_hex(16)
        with self._lock:
            self._files[sid] = wav
        url = f"{self.base_url}/2010-04-01/Accounts/{self._account_sid}/Recordings/{sid}"
        return Recording(sid=sid, url=url, duration=duration)

    def publish_speech(self, wav: bytes) -> Recording:
        """Publish WAV bytes (e.g. from `synthesize`), measuring their length."""
        return self.publish_wav(wav, duration=_wav_seconds(wav))

    def publish_file(self, path: Path) -> Recording:
        """Publish an audio file of any format ffmpeg reads."""
        wav, duration = _to_wav(path)
        return self.publish_wav(wav, duration=duration)

    def _lookup(self, path: str) -> tuple[bytes, str] | None:
        name = path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        sid, _, extension = name.partition(".")
        with self._lock:
            wav = self._files.get(sid)
            if wav is not None:
                self._fetched.add(sid)
        if wav is None:
            return None
        if extension == "mp3":
            return _to_mp3(wav), "audio/mpeg"
        if extension in ("", "wav"):
            return wav, "audio/x-wav"
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, *, body: bool) -> None:
                found = server._lookup(self.path)
                if found is None:
                    self.send_error(404, "no such recording")
                    return
                data, content_type = found
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer(body=True)

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the console shows the call, not the server log."""

        return Handler
