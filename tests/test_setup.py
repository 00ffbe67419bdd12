"""The set-up commands: the installer's check, and `make test` failing when it tests nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ivr.config import PROJECT_DIR

INSTALL = PROJECT_DIR / "scripts" / "install.sh"
DEBIAN_TOOLS = ("redis-server", "redis-tools", "ffmpeg", "espeak-ng", "sox", "chromium", "make")


def test_a_set_up_machine_needs_nothing() -> None:
    """After `make test` installed everything, running the installer again does nothing."""
    result = subprocess.run(
        ["bash", str(INSTALL), "--check"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_check_names_every_missing_package(tmp_path: Path) -> None:
    # A PATH with the shell's basic tools and Python, and none of the Debian packages.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("dirname", "cat", "sha256sum", "cut", "sort", "id"):
        found = shutil.which(tool)
        assert found is not None
        (bin_dir / tool).symlink_to(found)
    (bin_dir / "python3").symlink_to(sys.executable)
    env = {**os.environ, "PATH": str(bin_dir), "IVR_VENV": str(tmp_path / "venv")}

    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, str(INSTALL), "--check"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    for package in DEBIAN_TOOLS:
        assert package in result.stderr
    assert "needs pip install" in result.stderr
    assert "installing" not in result.stderr
    assert not (tmp_path / "venv").exists()


def test_make_pytest_fails_loudly_when_no_test_is_collected() -> None:
    make = shutil.which("make")
    assert make is not None, "make is installed by scripts/install.sh"
    args = "tests/test_setup.py -k no_test_is_called_this -p no:cacheprovider -q"
    result = subprocess.run(
        [make, "--no-print-directory", "-C", str(PROJECT_DIR), "pytest", f"PYTEST_ARGS={args}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "collected no tests" in result.stderr
