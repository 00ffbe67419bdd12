"""FastAPI dependencies: the services kept on `app.state`, as `Annotated` aliases.

Each area adds its alias here, next to the others, so routes read alike. Getters
are `async def`: FastAPI runs a plain `def` dependency in a thread pool, which
costs a thread hop on every request.
"""

from __future__ import annotations

from typing import Annotated, cast
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from fastapi import Depends, Request

from ivr.config import Settings
from ivr.flows.catalog import FlowCatalog
from ivr.keys import Keys
from ivr.routing.router import Router
from ivr.tickets.audit import AuditLog
from ivr.tickets.store import TicketStore
from ivr.tickets.versions import VersionStore


async def get_settings(request: Request) -> Settings:
    """The service settings."""
    return cast(Settings, request.app.state.settings)


async def get_bank_zone(request: Request) -> ZoneInfo:
    """The bank's time zone (IVR_TIMEZONE): the days reports, pages and API dates mean."""
    return cast(Settings, request.app.state.settings).zone


async def get_redis(request: Request) -> aioredis.Redis:
    """The shared Redis client."""
    return cast(aioredis.Redis, request.app.state.redis)


async def get_keys(request: Request) -> Keys:
    """The Redis key builder."""
    return cast(Keys, request.app.state.keys)


async def get_ticket_store(request: Request) -> TicketStore:
    """The ticket store (tickets, callbacks, tokens, audit log)."""
    return cast(TicketStore, request.app.state.tickets)


async def get_flow_catalog(request: Request) -> FlowCatalog:
    """The flows and prompts in use (swapped whole when an admin edits a flow)."""
    return cast(FlowCatalog, request.app.state.flows)


async def get_router(request: Request) -> Router:
    """Routing: agents, queues, decisions."""
    return cast(Router, request.app.state.router)


async def get_versions(request: Request) -> VersionStore:
    """Published versions of flows and prompts (the ticket store's database)."""
    versions = getattr(request.app.state, "versions", None)
    if versions is None:  # an app wired by hand (tests) shares the ticket store's database
        versions = VersionStore(sessions=request.app.state.tickets.session)
        request.app.state.versions = versions
    return cast(VersionStore, versions)


async def get_audit_log(request: Request) -> AuditLog:
    """The audit log every admin change is written to."""
    audit = getattr(request.app.state, "audit", None)
    if audit is None:
        audit = AuditLog(sessions=request.app.state.tickets.session)
        request.app.state.audit = audit
    return cast(AuditLog, audit)


SettingsDep = Annotated[Settings, Depends(get_settings)]
BankZoneDep = Annotated[ZoneInfo, Depends(get_bank_zone)]
RedisDep = Annotated[aioredis.Redis, Depends(get_redis)]
KeysDep = Annotated[Keys, Depends(get_keys)]
TicketStoreDep = Annotated[TicketStore, Depends(get_ticket_store)]
FlowCatalogDep = Annotated[FlowCatalog, Depends(get_flow_catalog)]
RouterDep = Annotated[Router, Depends(get_router)]
VersionsDep = Annotated[VersionStore, Depends(get_versions)]
AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
