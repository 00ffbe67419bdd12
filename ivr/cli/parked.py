"""`ivr tickets replay-dead`: parked call events back into the stream the persister reads."""

from __future__ import annotations

import asyncio

import typer

from ivr.cli.tickets import redis_url_of, tickets_app
from ivr.config import Settings


@tickets_app.command("replay-dead")
def replay_dead() -> None:
    """Put parked events (ivr:events:dead) back on the event stream, to be stored again."""
    from ivr.connections import redis_client
    from ivr.keys import Keys
    from ivr.tickets.replay import replay_parked

    settings = Settings()
    url = redis_url_of(settings)
    if not url:
        typer.echo(
            "ivr tickets replay-dead: no Redis: set IVR_REDIS_URL, or run it beside a running"
            " ivr serve (same IVR_DATA_DIR)",
            err=True,
        )
        raise typer.Exit(2)

    async def replay() -> None:
        client = redis_client(url)
        try:
            done = await replay_parked(client, keys=Keys(prefix=settings.redis_prefix))
        finally:
            await client.aclose()
        typer.echo(f"replayed {done.replayed} event(s); {done.kept} unreadable entr(ies) kept")

    asyncio.run(replay())


def register(app: typer.Typer) -> None:
    """Nothing to add at the top: `replay-dead` hangs under `ivr tickets`."""
