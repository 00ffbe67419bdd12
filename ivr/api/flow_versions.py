"""A flow's published versions: history, any one version, a diff between two, rollback."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from ivr.api.audit import actor
from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import FlowCatalogDep, KeysDep, RedisDep, VersionsDep
from ivr.api.flows import YAML_TYPE, FlowSaved, invalid
from ivr.flows.problems import FlowConfigError
from ivr.flows.publishing import FLOW, rollback_flow, seed_flow
from ivr.tickets.versions import VersionInfo, diff

router = APIRouter(prefix="/api/flows", tags=["flows"])


class FlowDiff(BaseModel):
    """A unified diff between two versions of a flow."""

    name: str
    from_version: int = Field(serialization_alias="from")
    to_version: int = Field(serialization_alias="to")
    diff: str


class Rollback(BaseModel):
    """Go back to an old version (published again as a new one)."""

    version: int = Field(ge=1, description="the version to restore")
    base: int | None = Field(default=None, description="the live version you saw; None: any")


@router.get("/{name}/versions", response_model=list[VersionInfo])
async def flow_history(
    name: str,
    _: AdminOrSupervisorDep,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> list[VersionInfo]:
    """Every published version of a flow, newest first: who, when and why."""
    await catalog.reload_if_stale(redis, keys)
    catalog.get(name)  # 404 for a flow that does not exist
    await seed_flow(catalog=catalog, versions=versions, redis=redis, keys=keys, name=name)
    return await versions.history(FLOW, name)


@router.get(
    "/{name}/versions/{version}",
    response_class=Response,
    responses={200: {"content": {YAML_TYPE: {}}, "description": "that version's YAML"}},
)
async def flow_version(
    name: str, version: int, _: AdminOrSupervisorDep, versions: VersionsDep
) -> Response:
    """The YAML of one published version."""
    found = await versions.get(FLOW, name, version)
    return Response(content=found.text, media_type=YAML_TYPE, headers={"ETag": f'"{version}"'})


@router.get("/{name}/diff", response_model=FlowDiff, response_model_by_alias=True)
async def flow_diff(
    name: str,
    _: AdminOrSupervisorDep,
    versions: VersionsDep,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> FlowDiff:
    """A unified diff from version `from` to version `to` (either order)."""
    old = await versions.get(FLOW, name, from_)
    new = await versions.get(FLOW, name, to)
    return FlowDiff(name=name, from_version=from_, to_version=to, diff=diff(old, new))


@router.post(
    "/{name}/rollback",
    response_model=FlowSaved,
    responses={
        409: {"description": "the flow changed after `base`"},
        422: {"description": "the old version no longer fits today's flows or prompts"},
    },
)
async def rollback(
    name: str,
    body: Rollback,
    principal: AdminDep,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Publish a new version equal to an old one."""
    await catalog.reload_if_stale(redis, keys)
    base = body.base
    try:
        version = await rollback_flow(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            name=name,
            to=body.version,
            author=actor(principal),
            base=base,
        )
    except FlowConfigError as exc:
        return invalid(exc.errors)
    return FlowSaved(name=name, nodes=len(catalog.get(name).nodes), version=version.version)
