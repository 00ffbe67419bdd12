"""`ivr token create|list|revoke`: API tokens, kept in the ticket store (hashed)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import yaml

from ivr.cli.tickets import iso_time, redis_url_of, with_store
from ivr.config import Settings
from ivr.errors import NotFoundError
from ivr.security import Role

token_app = typer.Typer(help="API tokens (stored hashed).", no_args_is_help=True)


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="admin, supervisor or agent")],
    agent: Annotated[str | None, typer.Option(help="the agent id (agent tokens)")] = None,
    ttl_days: Annotated[float | None, typer.Option(help="expire after this many days")] = None,
) -> None:
    """Print a new API token (shown once; only its hash is kept)."""
    if agent is not None and not _agent_known(agent):
        typer.echo(
            f"warning: no agent {agent!r} in routing/agents.yaml or in the roster this machine"
            " can reach; add the agent (ivr agents add, or POST /api/agents) before the token"
            " is used",
            err=True,
        )
    ttl = ttl_days * 86400 if ttl_days else None
    token, record = with_store(
        lambda store: store.create_token(role, agent_id=agent, ttl_seconds=ttl)
    )
    typer.echo(token)
    typer.echo(
        f"token id {record.id} role {record.role}" + (f" agent {agent}" if agent else ""), err=True
    )


def _agent_known(agent_id: str) -> bool:
    """Whether `agent_id` is in routing/agents.yaml or in the roster in Redis.

    Redis is IVR_REDIS_URL, else the private Redis of a running `ivr serve` (its socket in
    the data dir). A Redis that cannot be reached counts as not knowing the agent.
    """
    from ivr.connections import redis_client
    from ivr.keys import Keys
    from ivr.routing.policy import load_policy
    from ivr.routing.roster import SeedFile
    from ivr.routing.router import Router

    settings = Settings()
    try:
        seed = SeedFile.model_validate(
            yaml.safe_load((settings.routing_dir / "agents.yaml").read_text(encoding="utf-8"))
        )
        if any(a.id == agent_id for a in seed.agents):
            return True
    except (OSError, ValueError, yaml.YAMLError):
        pass
    url = redis_url_of(settings)
    if not url:
        return False

    async def in_roster() -> bool:
        client = redis_client(url)
        try:
            router = Router(
                redis=client,
                keys=Keys(prefix=settings.redis_prefix),
                policy=load_policy(settings.routing_dir / "policy.yaml"),
                zone=settings.zone,  # the service's day, or a command would restart "today"
            )
            await router.agents.get(agent_id)
            return True
        except NotFoundError:
            return False
        finally:
            await client.aclose()

    try:
        return asyncio.run(asyncio.wait_for(in_roster(), timeout=3))
    except Exception:  # an unreachable Redis: say what we know; the token is made anyway
        return False


@token_app.command("list")
def token_list() -> None:
    """Token ids, roles and states (never the tokens)."""
    for t in with_store(lambda store: store.tokens()):
        state = "revoked" if t.revoked_at else "active"
        created = iso_time(t.created_at)
        typer.echo(f"{t.id}  {t.role:<10} {t.agent_id or '-':<10} {state}  created {created}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(help="the token's id (tok_...)")]) -> None:
    """Revoke a token; it stops working at once."""
    t = with_store(lambda store: store.revoke_token(token_id))
    typer.echo(f"revoked {t.id}")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the `ivr` app."""
    app.add_typer(token_app, name="token")
