"""CLI commands of this area (see DEVELOPERS.md for who owns which)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `ivr` app."""
