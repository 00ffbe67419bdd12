"""The flows API: list, read, check, draw and (admins only) publish a menu flow as YAML.

Publishing makes a new version (ivr.api.flow_versions has history, diff and
rollback); `PUT /api/flows/{name}` publishes. Send `If-Match: "N"` (the
version you edited) and a change made meanwhile is refused with 409.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import redis.asyncio as aioredis
from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ivr.api.audit import actor
from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import FlowCatalogDep, KeysDep, RedisDep, VersionsDep
from ivr.errors import NotFoundError
from ivr.flows.catalog import FlowCatalog
from ivr.flows.graph import DrawingError, render_svg
from ivr.flows.problems import FlowConfigError, FlowError
from ivr.flows.publishing import publish_flow
from ivr.keys import Keys

router = APIRouter(prefix="/api/flows", tags=["flows"])

MAX_FLOW_BYTES = 256 * 1024
YAML_TYPE = "application/yaml"
SVG_TYPE = "image/svg+xml"
YAML_BODY = {
    "requestBody": {"content": {YAML_TYPE: {"schema": {"type": "string"}}}, "required": True}
}


class FlowSummary(BaseModel):
    """One flow in the list."""

    name: str
    description: str
    start: str
    nodes: int
    version: int = 0  # the live published version


class FlowProblems(BaseModel):
    """Why a flow was refused: every problem, each with file, flow, node and line."""

    detail: list[FlowError]


class FlowSaved(BaseModel):
    """The answer to a flow that was published."""

    name: str
    nodes: int
    version: int


class FlowCheck(BaseModel):
    """What publishing a draft would say: every problem, each with its line and node."""

    ok: bool
    nodes: int
    errors: list[dict[str, Any]]


def admin_errors(errors: list[FlowError]) -> list[dict[str, Any]]:
    """Problems with files named as the admin knows them (flows/NAME.yaml), not server paths."""
    return [
        validation_shaped(
            error.model_dump() | {"file": f"flows/{Path(error.file).name}"}
            if error.file.endswith(".yaml")
            else error.model_dump()
        )
        for error in errors
    ]


def validation_shaped(problem: dict[str, Any]) -> dict[str, Any]:
    """`problem` also in the shape of FastAPI's 422 items (loc, msg, type), so one answer fits
    both what a route documents and what a malformed request gets."""
    return problem | {"loc": ["body"], "msg": problem["message"], "type": "value_error"}


def invalid(errors: list[FlowError]) -> JSONResponse:
    """422 with every problem."""
    return JSONResponse(status_code=422, content={"detail": admin_errors(errors)})


async def yaml_body(request: Request, name: str) -> str | list[FlowError]:
    """The request's YAML text, or the problem with it (too large: 413)."""
    body = await request.body()
    if len(body) > MAX_FLOW_BYTES:
        raise HTTPException(413, detail=f"a flow file is at most {MAX_FLOW_BYTES} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return [FlowError(file=f"{name}.yaml", flow=name, message="the body is not UTF-8 text")]


def parse_base(if_match: str | None) -> int | None:
    """The version an admin edited, from `If-Match: "N"`; None when not given.

    ValueError for anything else.
    """
    if if_match is None or if_match.strip() in ("", "*"):
        return None
    try:
        return int(if_match.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValueError('If-Match is the version you edited, e.g. If-Match: "3"') from None


@router.get("", response_model=list[FlowSummary])
async def list_flows(
    _: AdminOrSupervisorDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> list[FlowSummary]:
    """Every menu flow in use, with its live version."""
    await catalog.reload_if_stale(redis, keys)
    versions = catalog.live_versions
    return [
        FlowSummary(
            name=f.name,
            description=f.description,
            start=f.start,
            nodes=len(f.nodes),
            version=versions.get(f.name, 0),
        )
        for f in (catalog.get(name) for name in catalog.names())
    ]


async def _live_text(catalog: FlowCatalog, redis: aioredis.Redis, keys: Keys, name: str) -> str:
    """The YAML of flow `name` as in use now (another process may have published); 404
    for a flow that does not exist."""
    await catalog.reload_if_stale(redis, keys)
    try:
        return catalog.text(name)
    except (NotFoundError, OSError):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"unknown flow: {name!r}") from None


@router.get(
    "/{name}",
    response_class=Response,
    responses={200: {"content": {YAML_TYPE: {}}, "description": "the flow's YAML file"}},
)
async def get_flow(
    name: str, _: AdminOrSupervisorDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> Response:
    """One flow's YAML as in use; its version is the ETag (send it back as If-Match)."""
    text = await _live_text(catalog, redis, keys, name)
    version = catalog.live_versions.get(name, 0)
    return Response(content=text, media_type=YAML_TYPE, headers={"ETag": f'"{version}"'})


@router.put(
    "/{name}",
    response_model=FlowSaved,
    openapi_extra=YAML_BODY,
    responses={
        409: {"description": "the flow changed after the version in If-Match"},
        422: {"model": FlowProblems, "description": "every problem, each with its place"},
    },
)
async def put_flow(
    name: str,
    request: Request,
    principal: AdminDep,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
    # Not checked by FastAPI: a 422 here has one shape, the problems; the store keeps 500 chars.
    message: Annotated[str, Query(description="why (up to 500 characters)")] = (
        "published through the API"
    ),
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Publish a flow from its YAML as a new version; the running flow is unchanged when invalid."""
    text = await yaml_body(request, name)
    if isinstance(text, list):
        return invalid(text)
    try:
        base = parse_base(if_match)
    except ValueError as exc:
        return invalid([FlowError(file=f"{name}.yaml", flow=name, message=str(exc))])
    # Validate against what every process has, not a stale copy of the other flows.
    await catalog.reload_if_stale(redis, keys)
    try:
        version = await publish_flow(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            name=name,
            text=text,
            author=actor(principal),
            message=message,
            base=base,
        )
    except FlowConfigError as exc:
        return invalid(exc.errors)
    return FlowSaved(name=name, nodes=len(catalog.get(name).nodes), version=version.version)


@router.post(
    "/{name}/check",
    response_model=FlowCheck,
    openapi_extra=YAML_BODY,
)
async def check_flow(
    name: str,
    request: Request,
    _: AdminDep,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
) -> FlowCheck:
    """Every problem a draft has (with line and node), as publishing would find them."""
    text = await yaml_body(request, name)
    if isinstance(text, list):
        return FlowCheck(ok=False, nodes=0, errors=admin_errors(text))
    await catalog.reload_if_stale(redis, keys)
    flow, errors = catalog.check(name, text)
    nodes = len(flow.nodes) if flow is not None else 0
    return FlowCheck(ok=not errors, nodes=nodes, errors=admin_errors(errors))


@router.post(
    "/{name}/graph",
    response_class=Response,
    openapi_extra=YAML_BODY,
    responses={200: {"content": {SVG_TYPE: {}}, "description": "the draft drawn by Graphviz"}},
)
async def draw_draft(name: str, request: Request, _: AdminDep, catalog: FlowCatalogDep) -> Response:
    """A draft drawn as SVG, nodes with problems outlined red (what parsed, when it has errors)."""
    text = await yaml_body(request, name)
    if isinstance(text, list):
        return invalid(text)
    return await _drawing(catalog, name, text)


@router.get(
    "/{name}/graph",
    response_class=Response,
    responses={200: {"content": {SVG_TYPE: {}}, "description": "the live flow drawn by Graphviz"}},
)
async def draw_flow(
    name: str, _: AdminOrSupervisorDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> Response:
    """The live flow drawn as SVG (the same drawing as `ivr flows graph`)."""
    return await _drawing(catalog, name, await _live_text(catalog, redis, keys, name))


async def _drawing(catalog: FlowCatalog, name: str, text: str) -> Response:
    flow, errors = catalog.check(name, text)
    drawn = flow or catalog.draft(name, text)
    if drawn is None:
        return invalid(errors)
    marked = {e.node for e in errors if e.node is not None}
    try:
        svg = await run_in_threadpool(render_svg, drawn, marked=marked)
    except DrawingError as exc:
        raise HTTPException(503, detail=str(exc)) from None
    return Response(content=svg, media_type=SVG_TYPE, headers={"Cache-Control": "no-store"})
