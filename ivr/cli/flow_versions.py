"""`ivr flows history|diff|publish|rollback`: a flow's versions from the command line.

They work on the ticket store's database (IVR_DATABASE_URL) and the flows
folder directly, as the service does, and tell running servers through Redis
(IVR_REDIS_URL, or the private Redis of an `ivr serve` on this data dir).
The audit log names the author `cli:USER`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import redis.asyncio as aioredis
import typer

from ivr.config import Settings
from ivr.connections import redis_client
from ivr.errors import ConfigError, IvrError
from ivr.flows.catalog import FlowCatalog
from ivr.flows.problems import FlowConfigError
from ivr.flows.publishing import FLOW, publish_flow, rollback_flow, seed_flow
from ivr.keys import Keys
from ivr.tickets.store import TicketStore
from ivr.tickets.versions import VersionStore, diff

T = TypeVar("T")
Job = Callable[[FlowCatalog, VersionStore, aioredis.Redis | None, Keys], Awaitable[T]]


def _author() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _redis_url(settings: Settings) -> str:
    if settings.redis_url:
        return settings.redis_url
    socket = (settings.data_dir / "redis" / "redis.sock").resolve()
    return f"unix://{socket}?db=0" if socket.exists() else ""


def _run(job: Job[T]) -> T:
    """Run `job` with the flows, the version store and (when reachable) Redis."""
    settings = Settings()

    async def run() -> T:
        catalog = FlowCatalog.load(flows_dir=settings.flows_dir, prompts_dir=settings.prompts_dir)
        store = await TicketStore.open(settings.database_url_async())
        url = _redis_url(settings)
        redis = redis_client(url) if url else None
        keys = Keys(prefix=settings.redis_prefix)
        try:
            if redis is not None:
                await catalog.reload_if_stale(redis, keys)
            return await job(catalog, VersionStore(sessions=store.session), redis, keys)
        finally:
            if redis is not None:
                await redis.aclose()
            await store.close()

    try:
        return asyncio.run(run())
    except FlowConfigError as exc:
        for problem in exc.errors:
            typer.echo(str(problem), err=True)
        typer.echo(f"{len(exc.errors)} problem(s): nothing was published", err=True)
        raise typer.Exit(1) from None
    except (IvrError, ConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def history_command(name: Annotated[str, typer.Argument(help="the flow, e.g. main")]) -> None:
    """List a flow's published versions, newest first."""

    async def job(
        catalog: FlowCatalog, versions: VersionStore, redis: aioredis.Redis | None, keys: Keys
    ) -> None:
        catalog.get(name)
        await seed_flow(catalog=catalog, versions=versions, redis=redis, keys=keys, name=name)
        found = await versions.history(FLOW, name)
        live = found[0].version if found else None  # the newest version is the one in use
        for version in found:
            when = dt.datetime.fromtimestamp(version.created_at, dt.UTC).strftime("%Y-%m-%d %H:%M")
            mark = "*" if version.version == live else " "
            typer.echo(f"{mark}v{version.version}  {when}Z  {version.author}  {version.message}")

    _run(job)


def diff_command(
    name: Annotated[str, typer.Argument(help="the flow")],
    old: Annotated[int, typer.Argument(help="the version to compare from")],
    new: Annotated[int, typer.Argument(help="the version to compare to")],
) -> None:
    """Show what changed between two versions (a unified diff)."""

    async def job(
        _catalog: FlowCatalog, versions: VersionStore, _redis: aioredis.Redis | None, _keys: Keys
    ) -> None:
        found = diff(await versions.get(FLOW, name, old), await versions.get(FLOW, name, new))
        typer.echo(found or f"v{old} and v{new} are the same", nl=not found)

    _run(job)


def publish_command(
    name: Annotated[str, typer.Argument(help="the flow")],
    file: Annotated[Path, typer.Argument(help="its YAML", exists=True, dir_okay=False)],
    message: Annotated[str, typer.Option("-m", "--message", help="why")] = "published from the CLI",
) -> None:
    """Check FILE and publish it as flow NAME's next version; exit 1 with every problem."""
    text = file.read_text(encoding="utf-8")

    async def job(
        catalog: FlowCatalog, versions: VersionStore, redis: aioredis.Redis | None, keys: Keys
    ) -> None:
        version = await publish_flow(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            name=name,
            text=text,
            author=_author(),
            message=message,
        )
        typer.echo(f"published {name} v{version.version}")

    _run(job)


def rollback_command(
    name: Annotated[str, typer.Argument(help="the flow")],
    version: Annotated[int, typer.Argument(help="the version to restore")],
) -> None:
    """Publish a new version of NAME equal to VERSION."""

    async def job(
        catalog: FlowCatalog, versions: VersionStore, redis: aioredis.Redis | None, keys: Keys
    ) -> None:
        await seed_flow(catalog=catalog, versions=versions, redis=redis, keys=keys, name=name)
        done = await rollback_flow(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            name=name,
            to=version,
            author=_author(),
        )
        typer.echo(f"published {name} v{done.version} (= v{version})")

    _run(job)


def register(flows_app: typer.Typer) -> None:
    """Add the version commands to `ivr flows` (once, however often it is called)."""
    if any(command.name == "history" for command in flows_app.registered_commands):
        return
    flows_app.command("history")(history_command)
    flows_app.command("diff")(diff_command)
    flows_app.command("publish")(publish_command)
    flows_app.command("rollback")(rollback_command)
