"""`ivr call` with no --url finds the `ivr serve` started from the same folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ivr.cli.call import DEFAULT_URL, service_url
from ivr.cli.local_service import local_address, remove_address, write_address
from ivr.config import Settings


def test_the_address_serve_wrote_is_where_call_goes(tmp_path: Path) -> None:
    assert service_url(Settings(data_dir=tmp_path, public_url="")) == DEFAULT_URL
    write_address(tmp_path, "http://127.0.0.1:9137")
    assert local_address(tmp_path) == "http://127.0.0.1:9137"
    assert service_url(Settings(data_dir=tmp_path, public_url="")) == "http://127.0.0.1:9137"
    # A public URL is where the carrier (and the simulator) must go.
    public = Settings(data_dir=tmp_path, public_url="https://hotline.example.com")
    assert service_url(public) == "https://hotline.example.com"
    remove_address(tmp_path)
    assert local_address(tmp_path) is None


def test_a_service_that_died_without_tidying_up_is_not_called(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    (tmp_path / "serve.json").write_text(
        json.dumps({"url": "http://127.0.0.1:9138", "pid": int(gone.stdout)})
    )
    assert local_address(tmp_path) is None
    (tmp_path / "serve.json").write_text("not json")
    assert local_address(tmp_path) is None
