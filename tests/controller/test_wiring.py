"""The service's background loops: a job that keeps failing does not flood the log."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ivr.controller.wiring import _every


async def test_a_failing_job_is_logged_once_then_summarised_then_its_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0
    stop = asyncio.Event()

    async def job() -> None:
        nonlocal runs
        runs += 1
        if runs == 60:
            stop.set()
        if runs <= 40:
            raise ConnectionError("redis is down")

    with caplog.at_level(logging.INFO, logger="ivr.controller.wiring"):
        await asyncio.wait_for(
            _every(0.001, job, stop, name="routing clock", quiet_seconds=0.02), timeout=30
        )
    assert runs == 60
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "routing clock failed" and caplog.records[0].exc_info
    summaries = [m for m in messages if "still failing" in m]
    assert len(summaries) < 39  # not one line per failed run
    assert all("redis is down" in m for m in summaries)
    assert messages[-1] == "routing clock works again after 40 failed runs"
    assert sum(1 for r in caplog.records if r.exc_info) == 1
