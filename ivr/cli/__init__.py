"""The `ivr` command line; each area adds its commands from its own module."""

from __future__ import annotations

import typer

from ivr.cli import agents, call, flows, nlu, parked, serve, speech, tickets, tokens

app = typer.Typer(
    name="ivr",
    help="Call handling for a bank's customer hotline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for area in (serve, call, flows, speech, nlu, agents, tickets, tokens, parked):
    area.register(app)


def main() -> None:
    """Entry point of the `ivr` script."""
    app()
