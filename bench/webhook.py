"""Webhook throughput: a full menu step of the real service beside a bare FastAPI endpoint.

Run by hand: `.venv/bin/python bench/webhook.py [--calls 50] [--seconds 10] [--rounds 3]`.

The service runs as `ivr serve` and the bare app under uvicorn, with the same worker count, in the
same run, and are loaded by the same client: 50 concurrent simulated calls,
each signed as Twilio signs, choosing English and then pressing `*` at the menu
they reach (the main menu in business hours, the after-hours menu otherwise)
again and again: a full step (signature check, per-call lock, state load and
save in Redis, the flow engine, events appended to the stream, TwiML
rendering), with the persister storing those events meanwhile. The bare
endpoint answers fixed TwiML to the same signed form posts, without checking.
Closed-loop rounds alternate between the two; it prints requests/s of each
round, the median ratio, and p50/p99 at a paced load.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef0123"
BARE_APP = textwrap.dedent(
    """
    from fastapi import FastAPI, Request, Response

    app = FastAPI()
    TWIML = (
        '<?xml version="1.0" encoding="UTF-8"?><Response><Gather action="http://x/twilio/gather"'
        ' input="dtmf speech" numDigits="1" timeout="5"><Say>For cards, press 1.</Say>'
        '</Gather><Redirect method="POST">http://x/twilio/gather?silence=1</Redirect></Response>'
    )

    @app.post("/twilio/gather")
    async def gather(request: Request) -> Response:
        await request.form()
        return Response(TWIML, media_type="text/xml")
    """
)
NEXT_URL = re.compile(r'<Gather action="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(cmd: list[str], env: dict[str, str], port: int, cwd: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 404):
                return proc
        except httpx.HTTPError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"server on port {port} did not start: {' '.join(cmd)}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand.

    A general client (httpx) spends more CPU per request than the server under
    test; on a 2-core machine that would measure the client, not the service.
    """

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, target: str, form: dict[str, str], headers: dict[str, str]) -> str:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        body = urlencode(form).encode()
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        answer = (await self.reader.readexactly(length)).decode()
        if status != 200:
            raise SystemExit(f"HTTP {status} from {target}: {answer[:300]}")
        return answer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Caller:
    """One simulated call: starts at /twilio/voice, chooses English, then repeats the menu."""

    def __init__(self, base: str, *, ivr: bool) -> None:
        self.base = base
        self.connection = Connection(base)
        self.ivr = ivr
        self.sid = "CA" + uuid.uuid4().hex
        self.validator = RequestValidator(TOKEN)
        self.next_url = f"{base}/twilio/gather"

    async def post(self, url: str, **extra: str) -> str:
        params = {
            "CallSid": self.sid,
            "AccountSid": "AC" + "0" * 32,
            "From": "+14155550100",
            "To": "+18005550100",
            "CallStatus": "in-progress",
            **extra,
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        return await self.connection.post(url.removeprefix(self.base), params, headers)

    async def setup(self) -> None:
        if not self.ivr:
            return
        self._follow(await self.post(f"{self.base}/twilio/voice"))
        self._follow(await self.post(self.next_url, Digits="1"))

    def _follow(self, twiml: str) -> None:
        found = NEXT_URL.search(twiml)
        if found is None:
            raise SystemExit(f"no Gather in the answer: {twiml[:300]}")
        self.next_url = found.group(1).replace("&amp;", "&")

    async def step(self) -> float:
        began = time.perf_counter()
        twiml = await self.post(self.next_url, Digits="*")
        elapsed = time.perf_counter() - began
        if self.ivr:
            self._follow(twiml)
        return elapsed


async def load(
    base: str, *, calls: int, seconds: float, ivr: bool, interval: float = 0.0
) -> tuple[float, list[float]]:
    """Requests/s and latencies of `calls` concurrent calls stepping through the menu.

    interval 0: each call steps again as soon as it is answered (closed loop: the
    most the server can take). interval > 0: each call steps every `interval`
    seconds, as callers pressing keys do (latency at a steady offered load).
    """
    callers = [Caller(base, ivr=ivr) for _ in range(calls)]
    await asyncio.gather(*(c.setup() for c in callers))
    for c in callers:  # warm up
        await c.step()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def run(index: int, c: Caller) -> None:
        if interval:
            await asyncio.sleep(interval * index / calls)  # spread the calls out
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            latencies.append(await c.step())
            if interval:
                await asyncio.sleep(max(0.0, interval - (time.perf_counter() - began)))

    began = time.perf_counter()
    await asyncio.gather(*(run(i, c) for i, c in enumerate(callers)))
    elapsed = time.perf_counter() - began
    for c in callers:
        c.connection.close()
    return len(latencies) / elapsed, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="closed-loop rounds (median)")
    parser.add_argument(
        "--interval", type=float, default=0.5, help="seconds between a paced call's steps"
    )
    args = parser.parse_args()
    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--log-level",
        "warning",
        "--workers",
        str(args.workers),
        "--host",
        "127.0.0.1",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        bare_dir = Path(tmp) / "bare"
        bare_dir.mkdir()
        (bare_dir / "bare_app.py").write_text(BARE_APP)
        ivr_port, bare_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
        env.update(
            IVR_TWILIO_AUTH_TOKEN=TOKEN,
            IVR_PUBLIC_URL=f"http://127.0.0.1:{ivr_port}",
            IVR_REDIS_PREFIX=f"ivr-bench:{uuid.uuid4().hex[:8]}:",
            IVR_DATA_DIR=str(Path(tmp) / "var"),
            IVR_CACHE_DIR=str(ROOT / "var" / "cache"),
            IVR_LOG_LEVEL="WARNING",
        )
        # `ivr serve` as the README starts it: its own private Redis (reached by a Unix
        # socket), web workers and the persister process. IVR_BENCH_REDIS_URL points
        # it at another Redis instead.
        if os.environ.get("IVR_BENCH_REDIS_URL"):
            env["IVR_REDIS_URL"] = os.environ["IVR_BENCH_REDIS_URL"]
        ivr = [str(Path(sys.executable).with_name("ivr")), "serve", "--workers", str(args.workers)]
        service = start([*ivr, "--port", str(ivr_port)], env, ivr_port, ROOT)
        bare = start([*uvicorn, "--port", str(bare_port), "bare_app:app"], env, bare_port, bare_dir)
        try:
            bases = {"bare": f"http://127.0.0.1:{bare_port}", "ivr": f"http://127.0.0.1:{ivr_port}"}
            # The machine is shared and noisy: closed-loop rounds alternate between the two
            # servers, and the median ratio is the figure.
            rounds: list[tuple[float, float, list[float]]] = []
            for _ in range(args.rounds):
                bare_rps, _ = asyncio.run(
                    load(bases["bare"], calls=args.calls, seconds=args.seconds, ivr=False)
                )
                ivr_rps, ivr_closed = asyncio.run(
                    load(bases["ivr"], calls=args.calls, seconds=args.seconds, ivr=True)
                )
                rounds.append((bare_rps, ivr_rps, ivr_closed))
            paced = {
                name: asyncio.run(
                    load(
                        base,
                        calls=args.calls,
                        seconds=args.seconds,
                        ivr=name == "ivr",
                        interval=args.interval,
                    )
                )[1]
                for name, base in bases.items()
            }
        finally:
            stop(service)
            stop(bare)
    bare_lat, ivr_lat = paced["bare"], paced["ivr"]
    offered = args.calls / args.interval
    print(f"{args.calls} concurrent calls, {args.workers} worker(s), {args.seconds:.0f} s a phase")
    for i, (bare_rps, ivr_rps, ivr_closed) in enumerate(rounds, 1):
        print(
            f"round {i}: closed loop  bare endpoint {bare_rps:7.0f} req/s | ivr menu step"
            f" {ivr_rps:7.0f} req/s (p50 {pct(ivr_closed, 50):.1f} ms,"
            f" p99 {pct(ivr_closed, 99):.1f} ms)  ratio {ivr_rps / bare_rps:.2f}x"
        )
    ratio = statistics.median(ivr_rps / bare_rps for bare_rps, ivr_rps, _ in rounds)
    print(
        f"paced {offered:.0f} req/s  bare p50 {pct(bare_lat, 50):5.1f} ms"
        f" p99 {pct(bare_lat, 99):5.1f} ms"
        f" | ivr p50 {pct(ivr_lat, 50):5.1f} ms p99 {pct(ivr_lat, 99):5.1f} ms"
    )
    print(
        f"ratio: ivr throughput {ratio:.2f}x of bare, median of {len(rounds)} rounds"
        f" (target >= 0.5); ivr p99 at {offered:.0f} req/s {pct(ivr_lat, 99):.1f} ms"
        f" (target < 20 ms), {pct(ivr_lat, 99) / max(pct(bare_lat, 99), 1e-9):.1f}x bare p99"
    )


if __name__ == "__main__":
    main()
