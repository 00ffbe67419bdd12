"""Webhook latency from several worker processes adds up in any one scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

OBSERVE = """
import sys
from ivr.metrics.webhooks import observe_webhook
for _ in range(int(sys.argv[1])):
    observe_webhook(sys.argv[2], 0.004)
"""
SCRAPE = """
from prometheus_client import generate_latest
from ivr.metrics.webhooks import webhook_registry
print(generate_latest(webhook_registry()).decode())
"""


def _python(code: str, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_two_workers_observations_are_summed_by_a_third(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    _python(OBSERVE, "3", "voice", env=env)
    _python(OBSERVE, "4", "voice", env=env)
    _python(OBSERVE, "2", "gather", env=env)
    text = _python(SCRAPE, env=env)
    counts = {
        s.labels["route"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "ivr_webhook_seconds_count"
    }
    assert counts == {"voice": 7, "gather": 2}


def test_one_process_without_the_folder_reports_its_own(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    code = OBSERVE + SCRAPE
    text = _python(code, "5", "status", env=env)
    assert 'ivr_webhook_seconds_count{route="status"} 5.0' in text
