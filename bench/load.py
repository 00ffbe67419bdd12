"""Hotline load: 500 concurrent simulated calls through whole flows, then an audit of what was kept.

Run by hand: `.venv/bin/python bench/load.py [--calls 500] [--agents 100] [--workers 2 4]`.

For each worker count, `ivr serve --workers N` is started on a free loopback
port with its own data dir (SQLite), the Redis at 127.0.0.1:6379 under a
fresh IVR_REDIS_PREFIX (removed after), and a copy of the shipped flows (open
around the clock, wrap-up 1 s, the callback offer after 2 s of waiting) with
`--agents` agents who speak both languages and take every topic. Then:

1. `--calls` callers ring within `--ramp` seconds (the simulated carrier, `ivr call`'s engine),
   each with its own connection. They press keys and speak at menus, in
   English and Mandarin, ask for an agent, wait in the queue (a hold round a
   second) and either wait for an agent or press 1 for a callback. Agents
   answer, talk 3-6 s and hang up; callers answer the survey; every call
   ends with its status callback.
2. The audit, once the persister has caught up (/metrics says nothing is left
   unpersisted): each call has exactly one ticket holding every event its
   flow must have left, ended and with an outcome; no agent was ever on two
   calls (the intervals each agent's phone was up, seen by the carrier, never
   overlap); nobody waited without an answer (every queued caller reached an
   agent or booked a callback; no call hit a limit or an error).
3. Throughput beside a baseline in the same run: bench/webhook.py's closed
   loop of menu steps against this service, and against its bare FastAPI
   endpoint with as many workers.

Prints webhook p50/p99/max (client side), errors, the audit, and the menu-step
throughput per worker count (`--workers 1 2 4` shows how it grows). The
figures are only comparable within one run: say what machine ran it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webhook as menu_bench

from ivr.simulator.call_setup import Limits
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.carrier import Carrier
from ivr.simulator.record import CallRecord
from ivr.simulator.script import AgentAnswers, Press, ScriptStep, Speak
from ivr.tickets.models import ticket_id

ROOT = Path(__file__).resolve().parent.parent
TOKEN = menu_bench.TOKEN
ADMIN = "bench-load-admin"
REDIS_URL = os.environ.get("IVR_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
TOPICS = [
    "lost_stolen_card",
    "card_services",
    "account_inquiry",
    "payments_transfers",
    "loans",
    "digital_banking",
    "fraud_dispute",
    "complaint",
    "general",
]
HOLD_ROUND_SECONDS = 1.0
TLS = ssl.create_default_context()


@dataclass
class Dialled:
    """One time an agent's phone was up for a caller, as the carrier saw it."""

    agent: str
    call_sid: str
    began: float
    ended: float


@dataclass
class Observed:
    """What the carrier side saw across every call of a run."""

    latencies: list[float] = field(default_factory=list)
    active: int = 0
    resent: int = 0
    peak: int = 0
    by_route: dict[str, list[float]] = field(default_factory=dict)
    dials: list[Dialled] = field(default_factory=list)
    http_errors: list[str] = field(default_factory=list)


Result = tuple[CallRecord, "BenchCaller", set[str]]
Results = list[Result]


class TimedTransport(httpx.AsyncHTTPTransport):
    """Times every webhook the carrier sends (one per call: calls never share a connection)."""

    def __init__(self, observed: Observed) -> None:
        # One TLS context for every call: building one each costs the client ~10 ms of CPU.
        super().__init__(verify=TLS)
        self.observed = observed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        began = time.perf_counter()
        try:
            response = await super().handle_async_request(request)
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            # uvicorn closes a connection idle for 5 s; a starved client can pick it up just
            # then. Send again on a fresh one, as the carrier retries (replies are cached).
            self.observed.resent += 1
            response = await super().handle_async_request(request)
        await response.aread()
        took = time.perf_counter() - began
        self.observed.latencies.append(took)
        self.observed.by_route.setdefault(request.url.path, []).append(took)
        if response.status_code != 200:
            self.observed.http_errors.append(f"{response.status_code} {request.url.path}")
        return response


class BenchCaller(ScriptedCaller):
    """A scripted caller: a second a hold round; in the queue, waits or asks for a callback."""

    def __init__(
        self, steps: list[ScriptStep], *, wants_callback: bool, talk: float, obs: Observed
    ):
        super().__init__(steps)
        self.wants_callback = wants_callback
        self.talk = talk
        self.observed = obs
        self.call_sid = ""
        self.queued = False
        self.surveyed = False

    async def at_gather(self, gather):  # type: ignore[no-untyped-def]
        action = gather.action or ""
        if "/queue/" in action:
            self.queued = True
            return Press("1") if self.wants_callback and self._offered(gather) else None
        if "=survey" in action:  # every caller who talked to an agent rates the call
            self.surveyed = True
            return Press(str(1 + len(self.call_sid) % 5))
        return await super().at_gather(gather)

    @staticmethod
    def _offered(gather) -> bool:  # type: ignore[no-untyped-def]
        words = " ".join(getattr(p, "text", "") for p in gather.prompt).lower()
        return "press 1" in words or "按1" in words

    async def at_dial(self, dial):  # type: ignore[no-untyped-def]
        agent = next((t.address for t in dial.targets if t.kind == "client"), "?")
        began = time.monotonic()
        await asyncio.sleep(self.talk)
        self.observed.dials.append(Dialled(agent, self.call_sid, began, time.monotonic()))
        return AgentAnswers(seconds=self.talk)

    async def after_wait_round(self, round_number: int) -> bool:
        self.queued = True
        await asyncio.sleep(HOLD_ROUND_SECONDS)
        return False


def scenario(index: int) -> tuple[str, list[ScriptStep], bool, set[str]]:
    """(language, steps, wants a callback, event types the ticket must hold) of caller `index`."""
    kind = index % 10
    must = {"call.started", "language.chosen", "call.ended"}
    if kind in (0, 1, 2, 3):  # a menu key, an agent, the survey
        return "en-US", [Press("1"), Press(str(1 + index % 7))], False, must
    if kind in (4, 5):  # speech at the main menu
        say = Speak("I lost my card and need it blocked" if kind == 4 else "what is my balance")
        return "en-US", [Press("1"), say], False, must | {"nlu.read"}
    if kind == 6:  # Mandarin speech
        return "zh-CN", [Press("2"), Speak("我的信用卡丢了，请帮我挂失")], False, must
    if kind == 7:  # zero asks for an agent
        return "en-US", [Press("1"), Press("0")], False, must
    return "en-US", [Press("1"), Press("3")], True, must  # a callback when queued


def bench_config(target: Path, agents: int) -> Path:
    """The shipped configuration, open around the clock, short wrap-up, `agents` generalists."""
    for part in ("flows", "prompts", "routing"):
        shutil.copytree(ROOT / part, target / part)
    sys.path.insert(0, str(ROOT))
    from tests.telephony.conftest import set_hours

    set_hours(target, open_=True)
    policy = target / "routing" / "policy.yaml"
    text = re.sub(r"wrap_up_seconds: \d+", "wrap_up_seconds: 1", policy.read_text())
    policy.write_text(re.sub(r"callback_after_seconds: \d+", "callback_after_seconds: 2", text))
    roster = ["agents:"]
    for n in range(agents):
        roster += [
            f"  - id: ag{n:03d}",
            f"    name: Agent {n}",
            "    endpoint: client",
            "    languages: [en-US, zh-CN]",
            "    skills: {" + ", ".join(f"{t}: 3" for t in TOPICS) + "}",
        ]
    (target / "routing" / "agents.yaml").write_text("\n".join(roster) + "\n")
    return target


def serve(workdir: Path, config: Path, workers: int) -> tuple[object, str, str]:
    """`ivr serve --workers N` on a free port; (process, base URL, Redis prefix)."""
    port = menu_bench.free_port()
    prefix = f"ivr-bench-load:{uuid.uuid4().hex[:8]}:"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    env.update(
        IVR_TWILIO_AUTH_TOKEN=TOKEN,
        IVR_PUBLIC_URL=f"http://127.0.0.1:{port}",
        IVR_REDIS_URL=REDIS_URL,
        IVR_REDIS_PREFIX=prefix,
        IVR_DATA_DIR=str(workdir / "var"),
        IVR_CONFIG_DIR=str(config),
        IVR_CACHE_DIR=str(ROOT / "var" / "cache"),
        IVR_ADMIN_TOKEN=ADMIN,
        IVR_IN_PROCESS_WORKER="false",
        IVR_LOG_LEVEL="WARNING",
    )
    ivr = str(Path(sys.executable).with_name("ivr"))
    cmd = [ivr, "serve", "--workers", str(workers), "--port", str(port)]
    log = (workdir / "serve.log").open("wb")
    process = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return process, f"http://127.0.0.1:{port}", prefix
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    menu_bench.stop(process)
    raise SystemExit(f"ivr serve did not start: {(workdir / 'serve.log').read_text()[-2000:]}")


async def agents_ready(base: str, agents: int) -> None:
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
        for n in range(agents):
            answer = await api.put(f"/api/agents/ag{n:03d}/status", json={"status": "available"})
            answer.raise_for_status()


async def one_call(base: str, index: int, observed: Observed, delay: float) -> Result:
    # Arrivals spread over a few seconds, as a busy hotline's are; they overlap in the queue.
    await asyncio.sleep(delay)
    language, steps, callback, must = scenario(index)
    caller = BenchCaller(steps, wants_callback=callback, talk=3.0 + index % 4, obs=observed)
    caller.call_sid = "CA" + uuid.uuid4().hex
    carrier = Carrier(
        base_url=base,
        auth_token=TOKEN,
        transport=TimedTransport(observed),
        limits=Limits(max_requests=2000, max_wait_rounds=600),
        timeout=30.0,
    )
    observed.active += 1
    observed.peak = max(observed.peak, observed.active)
    try:
        record = await carrier.place_call(
            caller_input=caller, language=language, call_sid=caller.call_sid,
            caller=f"+1415555{index:04d}",
        )  # fmt: skip
    finally:
        observed.active -= 1
    return record, caller, must


async def drive(base: str, calls: int, ramp: float = 0.0) -> tuple[Results, Observed, float]:
    observed = Observed()
    began = time.perf_counter()
    results = await asyncio.gather(
        *(one_call(base, i, observed, ramp * i / calls) for i in range(calls))
    )
    return list(results), observed, time.perf_counter() - began


async def wait_persisted(base: str, within: float = 300.0) -> None:
    """Until /metrics says every event is in the ticket store."""
    headers = {"Authorization": f"Bearer {ADMIN}"}
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
        while time.monotonic() < deadline:
            text = (await api.get("/metrics")).text
            left = re.search(r"^ivr_events_unpersisted (\S+)$", text, re.M)
            if left and float(left.group(1)) == 0:
                return
            await asyncio.sleep(0.5)
    raise SystemExit("the persister did not catch up")


def show(record: CallRecord) -> None:
    """What the carrier sent and heard in one call, to see why it failed the audit."""
    print(f"    -- {record.call_sid} ended by {record.ended_by or '?'}:")
    for exchange in record.requests:
        body = re.sub(r"\s+", " ", exchange.body)[:160]
        print(f"       {exchange.url.split('/twilio')[-1][:60]} {exchange.status_code} {body}")


async def audit(base: str, results: Results, observed: Observed) -> list[str]:
    """Every problem found: tickets, agents on two calls, callers left waiting."""
    problems: list[str] = []
    shown = 0
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
        problems += await one_ticket_each(api, results)
        dialled = {d.call_sid for d in observed.dials}
        sem = asyncio.Semaphore(20)

        async def check(record: CallRecord, caller: BenchCaller, must: set[str]) -> None:
            async with sem:
                answer = await api.get(f"/api/tickets/{ticket_id(record.call_sid)}")
            if answer.status_code != 200:
                problems.append(f"{record.call_sid}: no ticket ({answer.status_code})")
                return
            found = ticket_problems(answer.json(), caller, must, record.call_sid in dialled)
            problems.extend(found)
            nonlocal shown
            if found and shown < 2:
                shown += 1
                show(record)

        await asyncio.gather(*(check(*r) for r in results))
    for record, caller, _ in results:
        if record.errors or record.ended_by == "limit":
            problems.append(f"{record.call_sid}: {record.errors or 'hit a limit'}")
        if caller.remaining():
            problems.append(f"{record.call_sid}: steps unused {caller.remaining()}")
    return problems + agents_on_two_calls(observed.dials) + observed.http_errors


async def one_ticket_each(api: httpx.AsyncClient, results: Results) -> list[str]:
    """Exactly one ticket per call of the run."""
    listed: list[dict[str, object]] = []
    for offset in range(0, len(results) + 1000, 1000):
        page = (await api.get("/api/tickets", params={"limit": 1000, "offset": offset})).json()
        listed += page
        if len(page) < 1000:
            break
    ours = {r.call_sid for r, _, _ in results}
    tickets = [t["call_sid"] for t in listed if t["call_sid"] in ours]
    if len(tickets) != len(ours) or len(set(tickets)) != len(ours):
        return [f"{len(tickets)} tickets for {len(ours)} calls"]
    return []


def ticket_problems(
    ticket: dict[str, Any], caller: BenchCaller, must: set[str], dialled: bool
) -> list[str]:
    """What one ticket lacks: the events its flow must leave, an outcome for a caller who waited."""
    sid = ticket["call_sid"]
    types = [e["type"] for e in ticket["events"]]
    wanted = must | ({"routing.decided", "agent.result", "survey.answered"} if dialled else set())
    problems = []
    if wanted - set(types) or types.count("call.ended") != 1:
        problems.append(f"{sid}: events missing {sorted(wanted - set(types))} in {types}")
    if caller.queued and ticket["outcome"] not in ("answered", "callback"):
        problems.append(f"{sid}: waited, outcome {ticket['outcome']!r}")
    if dialled and not caller.surveyed:
        problems.append(f"{sid}: talked to an agent, never heard the survey")
    return problems


def agents_on_two_calls(dials: list[Dialled]) -> list[str]:
    """Agents whose phone was up for two callers at once, as the carrier saw it."""
    by_agent: dict[str, list[Dialled]] = {}
    for dial in dials:
        by_agent.setdefault(dial.agent, []).append(dial)
    problems = []
    for agent, mine in by_agent.items():
        mine.sort(key=lambda d: d.began)
        for before, after in itertools.pairwise(mine):
            if after.began < before.ended:
                problems.append(f"agent {agent} on {before.call_sid} and {after.call_sid} at once")
    return problems


async def server_histogram(base: str) -> dict[float, float]:
    """The service's webhook latency histogram, all routes: upper bound -> cumulative count."""
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as api:
        text = (await api.get("/metrics")).text
    buckets: dict[float, float] = {}
    for bound, count in re.findall(
        r'^ivr_webhook_seconds_bucket\{le="([^"]+)",route="[^"]+"\} (\S+)$', text, re.M
    ):
        buckets[float(bound)] = buckets.get(float(bound), 0.0) + float(count)
    return buckets


def subtract(after: dict[float, float], before: dict[float, float]) -> dict[float, float]:
    return {bound: count - before.get(bound, 0.0) for bound, count in after.items()}


def served_quantiles(buckets: dict[float, float]) -> str:
    """p50, p99 and the slowest as 'at most' the bucket bound they fall in."""
    total = max(buckets.values(), default=0.0)
    out = []
    for name, q in (("p50", 0.5), ("p99", 0.99), ("max", 1.0)):
        bound = next((b for b, n in sorted(buckets.items()) if n >= q * total), float("inf"))
        out.append(f"{name} <= {bound * 1000:g} ms")
    return "  ".join(out) + f"  ({total:.0f} webhooks)"


def spread(values: list[float]) -> str:
    """p50, p99 and max in milliseconds."""
    return f"p50 {ms(values, 0.5):7.1f}  p99 {ms(values, 0.99):7.1f}  max {ms(values, 1.0):7.1f} ms"


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def run(workers: int, args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    workdir = tmp / f"w{workers}"
    config = bench_config(workdir / "config", args.agents)
    process, base, prefix = serve(workdir, config, workers)
    try:
        asyncio.run(agents_ready(base, args.agents))
        # Each worker's first calls load what it keeps for later; not part of the figures.
        asyncio.run(drive(base, 4 * workers))
        asyncio.run(wait_persisted(base))
        before = asyncio.run(server_histogram(base))
        results, observed, seconds = asyncio.run(drive(base, args.calls, args.ramp))
        served = subtract(asyncio.run(server_histogram(base)), before)
        asyncio.run(wait_persisted(base))
        problems = asyncio.run(audit(base, results, observed))
        steps = menu_bench.load(base, calls=50, seconds=args.seconds, ivr=True)
        rps = asyncio.run(steps)[0]
    finally:
        menu_bench.stop(process)  # type: ignore[arg-type]
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=prefix + "*", count=1000):
            client.delete(key)
        client.close()
    bare_rps = bare_baseline(workers, args.seconds, tmp)
    lat = observed.latencies
    print(f"\n== ivr serve --workers {workers}: {args.calls} calls, {args.agents} agents ==")
    print(f"  calls done in {seconds:.1f} s; {len(lat)} webhooks ({len(lat) / seconds:.0f}/s)")
    print(f"  peak concurrent calls {observed.peak}")
    print(f"  webhook, client side (incl. the simulator's own wait for CPU) {spread(lat)}")
    print(f"  webhook, server side (ivr_webhook_seconds buckets): {served_quantiles(served)}")
    queued = sum(c.queued for _, c, _ in results)
    callbacks = sum(c.wants_callback and c.queued for _, c, _ in results)
    print(f"  queued {queued}; of them asked for a callback {callbacks}")
    print(f"  calls put through to an agent {len(observed.dials)}")
    verdict = f"{len(problems)} problems" if problems else "clean"
    server_log = (workdir / "serve.log").read_text(errors="replace").splitlines()
    failures = [x for x in server_log if " ERROR " in x or "Traceback" in x]
    print(f"  server log: {len(server_log)} lines, {len(failures)} errors")
    for line in failures[:5]:
        print(f"    {line[:300]}")
    print(f"  HTTP errors {len(observed.http_errors)}; resent on a closed keep-alive connection")
    print(f"  {observed.resent}; audit: {verdict}")
    kinds: dict[str, int] = {}
    for problem in problems:
        kind = re.sub(r"CA[0-9a-f]{32}|\[.*\]|'[^']*'|\d+", "_", problem)[:90]
        kinds[kind] = kinds.get(kind, 0) + 1
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1])[:10]:
        print(f"    {count:4} x {kind}")
    for route, took in sorted(observed.by_route.items(), key=lambda kv: -len(kv[1]))[:8]:
        print(f"    {route:22} n={len(took):5}  {spread(took)}")
    print(f"  menu steps/s, closed loop of 50 calls: ivr {rps:.0f}, bare {bare_rps:.0f}")
    print(f"  ratio ivr/bare {rps / bare_rps:.2f}")
    return {"rps": rps, "bare": bare_rps, "problems": len(problems)}


def bare_baseline(workers: int, seconds: float, tmp: Path) -> float:
    """bench/webhook.py's bare FastAPI endpoint under uvicorn with as many workers."""
    folder = tmp / f"bare{workers}"
    folder.mkdir()
    (folder / "bare_app.py").write_text(menu_bench.BARE_APP)
    port = menu_bench.free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--workers", str(workers),
           "--host", "127.0.0.1", "--port", str(port), "bare_app:app"]  # fmt: skip
    process = menu_bench.start(cmd, dict(os.environ), port, folder)
    try:
        base = f"http://127.0.0.1:{port}"
        return asyncio.run(menu_bench.load(base, calls=50, seconds=seconds, ivr=False))[0]
    finally:
        menu_bench.stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--seconds", type=float, default=8.0, help="each closed-loop measurement")
    parser.add_argument("--ramp", type=float, default=3.0, help="seconds over which calls arrive")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at start)")
    with tempfile.TemporaryDirectory() as tmp:
        figures = {w: run(w, args, Path(tmp)) for w in args.workers}
    first = figures[min(figures)]
    print("\nthroughput by workers (menu steps/s; x the fewest workers):")
    for workers, f in figures.items():
        ivr_growth, bare_growth = f["rps"] / first["rps"], f["bare"] / first["bare"]
        print(f"  {workers}: ivr {f['rps']:.0f} (x{ivr_growth:.2f})", end="")
        print(f", bare {f['bare']:.0f} (x{bare_growth:.2f})")
    if any(f["problems"] for f in figures.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
