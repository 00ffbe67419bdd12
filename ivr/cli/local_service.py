"""Where `ivr serve` runs, kept in the data dir so `ivr call` from the same folder finds it.

`ivr serve` writes `<data dir>/serve.json` (its URL and process id) once it knows
its port and removes it when it stops; its auth token is already kept beside it
(`twilio_auth_token`) unless IVR_TWILIO_AUTH_TOKEN supplies one. `ivr call`
without `--url` reads both, so a newcomer's first call reaches the service
whatever `--port` it was started with.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE_NAME = "serve.json"


def write_address(data_dir: Path, url: str) -> Path:
    """Note that this process serves `url`; the file's path."""
    path = data_dir / FILE_NAME
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Owner-only, as everything the service keeps in its data dir.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps({"url": url, "pid": os.getpid()}) + "\n")
    path.chmod(0o600)
    return path


def remove_address(data_dir: Path) -> None:
    """Forget the address, if it is still this process's."""
    path = data_dir / FILE_NAME
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()


def local_address(data_dir: Path) -> str | None:
    """The URL of the `ivr serve` running from this data dir, or None when none runs."""
    try:
        noted = json.loads((data_dir / FILE_NAME).read_text())
        url, pid = str(noted["url"]), int(noted["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)  # is it still running? (signal 0 only checks)
    except ProcessLookupError:
        return None  # a service that stopped without tidying up (killed)
    except PermissionError:
        pass  # running as another user: still running
    return url
