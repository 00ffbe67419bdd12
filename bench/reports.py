"""A day's summary (what every dashboard refresh asks for): the reports' narrow read vs whole
tickets.

Baseline: `TicketStore.between` (whole tickets, transcripts and routing records,
joined with their calls) then `summarize`. Measured: `report_tickets` (the
columns the figures use) then `summarize`. Same store, same tickets, on SQLite
(a temp file); the figures must come out equal.

Run by hand: .venv/bin/python bench/reports.py [CALLS]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ivr.events import CallEvent, event_id
from ivr.tickets.report_rows import report_tickets
from ivr.tickets.reports import summarize
from ivr.tickets.store import TicketStore

T0 = 1_800_000_000.0
WORDS = "I lost my card yesterday at the station and I need it blocked right away please " * 4


def _call(n: int) -> list[CallEvent]:
    sid = f"CA{n:08d}"
    at = T0 + n
    steps: list[tuple[str, float, dict[str, Any]]] = [
        ("call.started", 0, {"caller": f"+1415555{n % 10_000:04d}", "called": "+18005550199"}),
        ("menu.input", 5, {"node": "main", "speech": WORDS, "digits": "", "secure": False}),
        ("nlu.read", 6, {"text": WORDS, "topic": "loans", "emotion": "neutral", "cues": ["x"] * 8}),
        ("routing.decided", 6.5, {"kind": "queue", "queue": "loans.en-US", "reason": "r" * 200}),
        ("queue.joined", 7, {"queue": "loans.en-US"}),
        ("queue.left", 7 + n % 40, {"queue": "loans.en-US", "reason": "bridged"}),
        ("agent.result", 100, {"agent_id": "a1", "dial_status": "completed", "duration": 80}),
        ("survey.answered", 110, {"csat": 1 + n % 5}),
        ("call.ended", 111, {"status": "completed"}),
    ]
    return [
        CallEvent(id=event_id(sid, "s", i), call_sid=sid, at=at + dt, type=kind, data=data)
        for i, (kind, dt, data) in enumerate(steps)
    ]


async def _best(label: str, run: Any, rounds: int = 5) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        best = min(best, time.perf_counter() - started)
    print(f"{label:<34} {best * 1000:8.1f} ms")
    return best


async def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await TicketStore.open(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            for start in range(0, calls, 500):
                await store.persist(
                    [e for n in range(start, min(calls, start + 500)) for e in _call(n)]
                )
            whole = summarize(await store.between(None, None))
            narrow = summarize(await report_tickets(store, None, None))
            assert whole == narrow, "the two reads must give the same figures"
            print(f"{calls} calls on SQLite, best of 5")
            base = await _best("whole tickets (between)", lambda: store.between(None, None))
            ours = await _best(
                "report columns (report_tickets)", lambda: report_tickets(store, None, None)
            )
            print(f"ratio: {base / ours:.1f}x faster")
        finally:
            await store.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
