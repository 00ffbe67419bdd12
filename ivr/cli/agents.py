"""`ivr agents add|list|show|status|remove|seed`: manage the agents who take calls.

With `IVR_REDIS_URL` set the commands work on Redis directly (as the service
does); otherwise they go through the running service's JSON API (`--url`,
default `IVR_PUBLIC_URL` or http://127.0.0.1:8080) with `--token` (default
`IVR_ADMIN_TOKEN`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import typer
from pydantic import ValidationError

from ivr.config import Settings
from ivr.connections import redis_client, service_redis_url
from ivr.errors import IvrError
from ivr.keys import Keys
from ivr.routing.models import Agent, AgentView
from ivr.routing.policy import load_policy
from ivr.routing.roster import parse_state
from ivr.routing.router import Router

agents_app = typer.Typer(help="Manage the agents who take calls.", no_args_is_help=True)
T = TypeVar("T")

DEFAULT_URL = "http://127.0.0.1:8080"
UrlOpt = Annotated[
    str | None,
    typer.Option(
        "--url", help=f"the service's base URL (default: IVR_PUBLIC_URL or {DEFAULT_URL})"
    ),
]
TokenOpt = Annotated[
    str | None, typer.Option("--token", help="an admin API token (default: IVR_ADMIN_TOKEN)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON")]


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(1)


def _with_router(job: Callable[[Router], Awaitable[T]]) -> T:
    """Run `job` against Redis directly, with the configured policy."""
    settings = Settings()

    async def run() -> T:
        client = redis_client(service_redis_url(settings.redis_url, settings.data_dir))
        try:
            router = Router(
                redis=client,
                keys=Keys(prefix=settings.redis_prefix),
                policy=load_policy(settings.routing_dir / "policy.yaml"),
                zone=settings.zone,  # the service's day, or a command would restart "today"
            )
            return await job(router)
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    except IvrError as exc:
        raise _fail(f"error: {exc}") from None


def _http(method: str, path: str, url: str | None, token: str | None, body: Any = None) -> Any:
    """Call the service's JSON API; exit 1 with its message on an error answer.

    The URL defaults to IVR_PUBLIC_URL, else DEFAULT_URL; without a token (`--token`,
    IVR_ADMIN_TOKEN) exit 2 before any request.
    """
    settings = Settings()
    base = (url or settings.public_url or DEFAULT_URL).rstrip("/")
    bearer = (token or settings.admin_token).strip()
    if not bearer:
        typer.echo(
            f"error: {base} needs an admin token: pass --token or set IVR_ADMIN_TOKEN "
            "(create one with `ivr token create --role admin`)",
            err=True,
        )
        raise typer.Exit(2)
    headers = {"Authorization": f"Bearer {bearer}"}
    try:
        reply = httpx.request(method, base + path, json=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        raise _fail(f"error: cannot reach {base}: {exc}") from None
    if reply.status_code >= 400:
        raise _fail(f"error {reply.status_code}: {reply.text}")
    return reply.json() if reply.content else None


def _direct() -> bool:
    settings = Settings()
    return bool(service_redis_url(settings.redis_url, settings.data_dir))


def _show(views: list[AgentView], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
        return
    for view in views:
        a, s = view.agent, view.status
        skills = ",".join(f"{t.value}={lv}" for t, lv in sorted(a.skills.items()))
        langs = ",".join(lang.value for lang in a.languages)
        typer.echo(f"{a.id:<16} {s.state.value:<10} calls={s.calls_today:<3} {langs:<12} {skills}")


def _parse_skills(skills: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in skills:
        topic, sep, level = item.partition("=")
        if not sep or not level.strip().isdigit():
            raise _fail(f"error: --skill takes TOPIC=LEVEL, got {item!r}")
        out[topic.strip()] = int(level)
    return out


@agents_app.command("add")
def add_command(
    agent_id: Annotated[str, typer.Argument(help="the agent's id (also their Client name)")],
    name: Annotated[str, typer.Option(help="the agent's name")],
    skill: Annotated[list[str], typer.Option("--skill", help="TOPIC=LEVEL (1..5), repeatable")],
    lang: Annotated[list[str], typer.Option("--lang", help="en-US or zh-CN, repeatable")],
    endpoint: Annotated[str, typer.Option(help="client, +E164 or sip:URI")] = "client",
    trait: Annotated[list[str] | None, typer.Option("--trait", help="e.g. de_escalation")] = None,
    status: Annotated[str, typer.Option(help="available, away or offline")] = "available",
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an agent."""
    body = {
        "id": agent_id,
        "name": name,
        "endpoint": endpoint,
        "languages": lang,
        "skills": _parse_skills(skill),
        "traits": trait or [],
    }
    try:
        agent = Agent.model_validate(body)
        state = parse_state(status)
    except (ValidationError, IvrError) as exc:
        raise _fail(f"error: {exc}") from None
    if _direct():
        view = _with_router(lambda r: r.add_agent(agent, state=state))
    else:
        reply = _http("POST", "/api/agents", url, token, {**body, "status": state.value})
        view = AgentView.model_validate(reply)
    _show([view], as_json)


@agents_app.command("list")
def list_command(url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = False) -> None:
    """Every agent with their state."""
    if _direct():
        views = _with_router(lambda r: r.list_agents())
    else:
        views = [AgentView.model_validate(v) for v in _http("GET", "/api/agents", url, token)]
    _show(views, as_json)


@agents_app.command("show")
def show_command(
    agent_id: str, url: UrlOpt = None, token: TokenOpt = None, as_json: JsonOpt = True
) -> None:
    """One agent with their state."""
    if _direct():
        view = _with_router(lambda r: r.get_agent(agent_id))
    else:
        view = AgentView.model_validate(_http("GET", f"/api/agents/{agent_id}", url, token))
    _show([view], as_json)


@agents_app.command("status")
def status_command(
    agent_id: str,
    state: Annotated[str, typer.Argument(help="available, busy, wrap_up, away or offline")],
    url: UrlOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change an agent's state."""
    try:
        new = parse_state(state)
    except IvrError as exc:
        raise _fail(f"error: {exc}") from None
    if _direct():
        view = _with_router(lambda r: r.set_status(agent_id, new))
    else:
        path = f"/api/agents/{agent_id}/status"
        view = AgentView.model_validate(_http("PUT", path, url, token, {"status": new.value}))
    _show([view], as_json)


@agents_app.command("remove")
def remove_command(agent_id: str, url: UrlOpt = None, token: TokenOpt = None) -> None:
    """Remove an agent who is not on a call."""
    if _direct():
        _with_router(lambda r: r.remove_agent(agent_id))
    else:
        _http("DELETE", f"/api/agents/{agent_id}", url, token)
    typer.echo(f"removed {agent_id}")


@agents_app.command("seed")
def seed_command(
    path: Annotated[Path | None, typer.Argument(help="default: routing/agents.yaml")] = None,
) -> None:
    """Add or update the agents in a roster file (needs IVR_REDIS_URL)."""
    if not _direct():
        raise _fail("error: seeding works on Redis directly: set IVR_REDIS_URL")
    file = path or Settings().routing_dir / "agents.yaml"
    count = _with_router(lambda r: r.agents.seed_from_file(file))
    typer.echo(f"seeded {count} agent(s) from {file}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `ivr` app."""
    app.add_typer(agents_app, name="agents")
