"""The flows API: list, read and (admins only) replace a menu flow as YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import FlowCatalogDep, KeysDep, RedisDep
from ivr.errors import NotFoundError
from ivr.flows.problems import FlowError

router = APIRouter(prefix="/api/flows", tags=["flows"])

MAX_FLOW_BYTES = 256 * 1024
YAML_TYPE = "application/yaml"


class FlowSummary(BaseModel):
    """One flow in the list."""

    name: str
    description: str
    start: str
    nodes: int


class FlowProblems(BaseModel):
    """Why a flow was refused: every problem, each with file, flow, node and line."""

    detail: list[FlowError]


class FlowSaved(BaseModel):
    """The answer to a flow that was saved."""

    name: str
    nodes: int
    version: int


@router.get("", response_model=list[FlowSummary])
async def list_flows(
    _: AdminOrSupervisorDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> list[FlowSummary]:
    """Every menu flow in use."""
    await catalog.reload_if_stale(redis, keys)
    return [
        FlowSummary(name=f.name, description=f.description, start=f.start, nodes=len(f.nodes))
        for f in (catalog.get(name) for name in catalog.names())
    ]


@router.get(
    "/{name}",
    response_class=Response,
    responses={200: {"content": {YAML_TYPE: {}}, "description": "the flow's YAML file"}},
)
async def get_flow(
    name: str, _: AdminOrSupervisorDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> Response:
    """One flow's YAML, as stored."""
    await catalog.reload_if_stale(redis, keys)
    try:
        text = catalog.text(name)
    except (NotFoundError, OSError):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown flow: {name!r}") from None
    return Response(content=text, media_type=YAML_TYPE)


@router.put(
    "/{name}",
    response_model=FlowSaved,
    openapi_extra={
        "requestBody": {"content": {YAML_TYPE: {"schema": {"type": "string"}}}, "required": True}
    },
    responses={422: {"model": FlowProblems, "description": "every problem, each with its place"}},
)
async def put_flow(
    name: str,
    request: Request,
    _: AdminDep,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Replace (or add) a flow from its YAML; the running flow is unchanged when it is invalid."""
    body = await request.body()
    if len(body) > MAX_FLOW_BYTES:
        raise HTTPException(
            413,
            detail=f"a flow file is at most {MAX_FLOW_BYTES} bytes",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _invalid([{"file": f"{name}.yaml", "message": "the body is not UTF-8 text"}])
    # Validate against what every process has, not a stale copy of the other flows.
    await catalog.reload_if_stale(redis, keys)
    errors = await catalog.save(name, text, redis=redis, keys=keys)
    if errors:
        # Name files as the admin knows them (flows/NAME.yaml), not by server paths.
        return _invalid(
            [error.model_dump() | {"file": f"flows/{Path(error.file).name}"} for error in errors]
        )
    version = await redis.get(keys.flows_version())
    return FlowSaved(name=name, nodes=len(catalog.get(name).nodes), version=int(version or 0))


def _invalid(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": errors})
