"""Making a SQLite database refuse writes for real, as a full or read-only disk does."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path


def _database_files(db: Path) -> list[Path]:
    # Not the -shm file: it is memory-mapped, and a write to it would fault the process.
    return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]


def make_unwritable(db: Path) -> None:
    """The database file and its WAL refuse writes (reads go on), also for root."""
    files = [str(p) for p in _database_files(db)]
    if os.geteuid() == 0:
        # Root ignores file modes; the immutable flag holds even for open descriptors.
        subprocess.run(["chattr", "+i", *files], check=True)
    else:
        for name in files:
            os.chmod(name, 0o444)


def make_writable(db: Path) -> None:
    """Undo make_unwritable."""
    files = [str(p) for p in _database_files(db)]
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", *files], check=True)
    else:
        for name in files:
            os.chmod(name, 0o600)


@contextlib.contextmanager
def unwritable(db: Path) -> Iterator[None]:
    """While inside, `db` refuses writes; always writable again after."""
    make_unwritable(db)
    try:
        yield
    finally:
        make_writable(db)
