"""`ivr tickets list|show|export`, `ivr callbacks due|done`, `ivr persister`.

These work on the ticket store directly (`IVR_DATABASE_URL`, default
var/ivr.db), migrating it first, so they also work while the service is down.
"""

from __future__ import annotations

import asyncio
import csv
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, TypeVar

import typer

from ivr.bank_time import as_epoch
from ivr.config import Settings
from ivr.errors import IvrError

if TYPE_CHECKING:  # the store pulls in SQLAlchemy and Alembic: imported when a command runs
    from ivr.tickets.store import TicketStore
    from ivr.tickets.views import TicketView

T = TypeVar("T")

tickets_app = typer.Typer(help="Read and export call tickets.", no_args_is_help=True)
callbacks_app = typer.Typer(help="Callbacks promised to customers.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]
EXPORT_COLUMNS = (
    "id",
    "call_sid",
    "created_at",
    "caller",
    "language",
    "topic",
    "emotion",
    "emotion_intensity",
    "status",
    "outcome",
    "agent_id",
    "queue_seconds",
    "handle_seconds",
    "csat",
    "disposition",
    "callback_at",
    "menu_path",
    "transcript",
    "notes",
)
FREE_TEXT = frozenset({"disposition", "transcript", "notes"})


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def with_store(job: Callable[[TicketStore], Awaitable[T]]) -> T:
    """Run `job` against the configured ticket store."""
    settings = Settings()

    async def run() -> T:
        from ivr.tickets.store import TicketStore

        store = await TicketStore.open(settings.database_url_async())
        try:
            return await job(store)
        finally:
            await store.close()

    try:
        return asyncio.run(run())
    except IvrError as exc:
        raise _fail(f"error: {exc}") from None


def parse_date(value: str | None, option: str) -> float | None:
    """An ISO 8601 date or date-time as epoch seconds; exit 2 when invalid.

    Without an offset it is on the bank's clock (IVR_TIMEZONE): `--since 2026-12-04` is
    that day of the bank's, as the API's and the dashboard's dates are.
    """
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date", param_hint=option) from None
    return as_epoch(when, Settings().zone)


def iso_time(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else ""


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in ("created_at", "callback_at"):
        return iso_time(value)
    if isinstance(value, list):
        return " > ".join(str(v) for v in value)
    text = str(value)
    # A spreadsheet would run a cell starting with these as a formula.
    if column in FREE_TEXT and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def write_csv(tickets: list[TicketView], out: TextIO) -> None:
    """Tickets as CSV with a header row (free text guarded against spreadsheet formulas)."""
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for t in tickets:
        data = t.model_dump()
        writer.writerow([_cell(c, data.get(c)) for c in EXPORT_COLUMNS])


@tickets_app.command("list")
def list_tickets(
    caller: Annotated[str | None, typer.Option(help="the caller's number")] = None,
    topic: Annotated[str | None, typer.Option(help="a topic id")] = None,
    status: Annotated[str | None, typer.Option(help="open, pending or resolved")] = None,
    agent: Annotated[str | None, typer.Option(help="an agent id")] = None,
    since: Annotated[str | None, typer.Option(help="ISO 8601 date (the bank's day)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Tickets, newest first."""
    from ivr.tickets.views import TicketFilter

    flt = TicketFilter(
        caller=caller,
        topic=topic,
        status=status,
        agent_id=agent,
        since=parse_date(since, "--since"),
        limit=limit,
    )
    found = with_store(lambda store: store.list(flt))
    if as_json:
        typer.echo(json.dumps([t.model_dump(exclude={"events"}) for t in found], indent=2))
        return
    for t in found:
        typer.echo(
            f"{t.id}  {iso_time(t.created_at)}  {t.caller or '-':<16} {t.topic or '-':<20} "
            f"{t.emotion or '-':<9} {t.outcome or '-':<12} {t.status:<8} {t.agent_id or '-'}"
        )


@tickets_app.command("show")
def show_ticket(
    ticket: Annotated[str, typer.Argument(help="ticket id or CallSid")], as_json: JsonOpt = False
) -> None:
    """One ticket with every event of its call."""
    t = with_store(lambda store: store.get(ticket))
    if as_json:
        typer.echo(t.model_dump_json(indent=2))
        return
    for field in (
        "id",
        "call_sid",
        "caller",
        "language",
        "topic",
        "emotion",
        "outcome",
        "status",
        "agent_id",
    ):
        typer.echo(f"{field:>14}: {getattr(t, field) or '-'}")
    typer.echo(f"{'queue_seconds':>14}: {t.queue_seconds if t.queue_seconds is not None else '-'}")
    typer.echo(f"{'csat':>14}: {t.csat or '-'}")
    typer.echo(f"{'menu':>14}: {' > '.join(t.menu_path) or '-'}")
    typer.echo(f"{'transcript':>14}: {t.transcript or '-'}")
    typer.echo(f"{'notes':>14}: {t.notes or '-'}")
    for e in t.events:
        typer.echo(f"  {iso_time(e.at)}  {e.type:<22} {json.dumps(e.data, ensure_ascii=False)}")


@tickets_app.command("export")
def export_tickets(
    since: Annotated[
        str, typer.Option(help="ISO 8601 date (the bank's day): tickets created on or after it")
    ],
    until: Annotated[str | None, typer.Option(help="ISO 8601 date: before it")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="CSV file (default stdout)")
    ] = None,
) -> None:
    """Write tickets as CSV."""
    start, end = parse_date(since, "--since"), parse_date(until, "--until")
    found = with_store(lambda store: store.between(start, end))
    if output is None:
        write_csv(found, sys.stdout)
        return
    with output.open("w", newline="", encoding="utf-8") as f:
        write_csv(found, f)
    typer.echo(f"wrote {len(found)} ticket(s) to {output}", err=True)


@callbacks_app.command("due")
def callbacks_due(
    agent: Annotated[str | None, typer.Option(help="only this agent's")] = None,
    within_hours: Annotated[float | None, typer.Option(help="due within this many hours")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Open callbacks, soonest first; overdue ones are flagged."""
    due_within = within_hours * 3600 if within_hours is not None else None
    found = with_store(lambda store: store.callbacks(agent_id=agent, due_within=due_within))
    if as_json:
        typer.echo(json.dumps([c.model_dump() for c in found], indent=2))
        return
    for c in found:
        flag = "OVERDUE" if c.overdue else "due"
        typer.echo(
            f"{flag:<8} {iso_time(c.due_at)}  {c.number or '-':<16} {c.agent_id or '-':<10} "
            f"{c.topic or '-':<20} ticket {c.ticket_id}  id {c.id}"
        )


@callbacks_app.command("done")
def callback_done(callback_id: Annotated[str, typer.Argument(help="the callback's id")]) -> None:
    """Mark a callback completed; its task on the ticket closes and the caller may ask anew."""
    from ivr.routing.callbacks import callback_number

    c = with_store(lambda store: store.complete_callback(callback_id, actor="cli", audit=True))
    typer.echo(f"callback {c.id} done (ticket {c.ticket_id})")
    if _release_in_routing(c.id, c.number) or callback_number(c.number or "") is None:
        return
    typer.echo(
        "note: routing's Redis is out of reach (IVR_REDIS_URL, or the socket of an ivr serve"
        f" running from this data dir), so it still holds this callback for {c.number}:"
        f" a new request from that number joins it until the record lapses at"
        f" {iso_time(c.due_at + _repeat_grace_seconds())} (its due time plus the grace period)",
        err=True,
    )


def redis_url_of(settings: Settings) -> str:
    """IVR_REDIS_URL, else the socket of the private Redis of a running `ivr serve`, else ""."""
    from ivr.connections import service_redis_url

    return service_redis_url(settings.redis_url, settings.data_dir)


def _release_in_routing(callback_id: str, number: str | None) -> bool:
    """Free the callback's number in routing's Redis; False when that Redis is out of reach."""
    from redis.exceptions import RedisError

    from ivr.connections import redis_client
    from ivr.keys import Keys
    from ivr.routing.callbacks import release_callback

    settings = Settings()
    url = redis_url_of(settings)
    if not url:
        return False

    async def release() -> None:
        client = redis_client(url)
        try:
            keys = Keys(prefix=settings.redis_prefix)
            await release_callback(client, keys=keys, callback_id=callback_id, number=number)
        finally:
            await client.aclose()

    try:
        asyncio.run(asyncio.wait_for(release(), timeout=3))
    except (RedisError, OSError, TimeoutError, IvrError):
        return False
    return True


def _repeat_grace_seconds() -> float:
    """The policy's grace past a callback's due time during which the number stays held."""
    from ivr.routing.policy import Callbacks, load_policy

    try:
        grace = load_policy(Settings().routing_dir / "policy.yaml").callbacks.repeat_grace_hours
    except IvrError:  # an unreadable policy: the default grace
        grace = Callbacks().repeat_grace_hours
    return grace * 3600


def persister() -> None:
    """Move call events from Redis into the ticket store until stopped (ivr serve runs one)."""
    from ivr.logs import configure_logging
    from ivr.tickets.process import run_persister

    settings = Settings()
    settings.redis_url = redis_url_of(settings)
    if not settings.redis_url:
        typer.echo(
            "ivr persister: IVR_REDIS_URL is empty and no ivr serve runs from this data dir:"
            " give the service's Redis",
            err=True,
        )
        raise typer.Exit(2)
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(run_persister(settings))
    except IvrError as exc:
        typer.echo(f"ivr persister: {exc}", err=True)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `ivr` app."""
    app.command("persister")(persister)
    app.add_typer(tickets_app, name="tickets")
    app.add_typer(callbacks_app, name="callbacks")
