"""Webhook latency by route, shared by every web worker of one `ivr serve`.

prometheus_client picks its storage when it is first imported: with
`PROMETHEUS_MULTIPROC_DIR` set (`ivr serve` sets it to a fresh folder in the
data dir before its workers start), each worker writes its observations to
memory-mapped files there and a scrape in any worker sums them all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, Histogram, values
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# A webhook answers in milliseconds; the carrier gives up at 15 s.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0)

WEBHOOK_SECONDS = Histogram(
    "ivr_webhook_seconds",
    "Time to answer a carrier webhook, signature check to TwiML, by route.",
    ["route"],
    buckets=BUCKETS,
    registry=None,  # registered per scrape, with the multi-process files when there are any
)


# Each route's histogram, found once: `labels()` checks and locks on every call.
_BY_ROUTE: dict[str, Histogram] = {}


def observe_webhook(route: str, seconds: float) -> None:
    """Count one answered webhook of `route` (the hook's kind: voice, gather, status, ...)."""
    histogram = _BY_ROUTE.get(route)
    if histogram is None:
        histogram = _BY_ROUTE[route] = WEBHOOK_SECONDS.labels(route)
    histogram.observe(seconds)


def prepare_shared_metrics(data_dir: Path) -> Path:
    """A fresh folder for the workers' metric files, exported to them; call before they start."""
    folder = (data_dir / "metrics").resolve()
    shutil.rmtree(folder, ignore_errors=True)  # figures of a previous run would add up
    folder.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROC_ENV] = str(folder)
    return folder


def webhook_registry() -> CollectorRegistry:
    """A registry holding the webhook figures of every worker (or of this process alone)."""
    registry = CollectorRegistry()
    folder = os.environ.get(MULTIPROC_ENV)
    # A process that imported prometheus_client before the folder was set keeps its
    # figures in memory (one worker: `ivr serve` runs it in its own process).
    if folder and Path(folder).is_dir() and values.ValueClass is not values.MutexValue:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(WEBHOOK_SECONDS)
    return registry
