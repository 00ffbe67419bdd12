"""The flow studio (`/admin/flows`, admins): edit, check, draw, try, publish, history, rollback,
prompts, and the audit log.

The page's scripts call the routes below with the session's cookie and CSRF
token; each route hands over to the JSON API's own function with the
session's principal, so a change made here is the same change (checked,
versioned, audited) as one made through `/api/...`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, Response

from ivr.api import audit as audit_api
from ivr.api import flow_trial, flow_versions, prompts
from ivr.api import flows as flows_api
from ivr.api.deps import AuditLogDep, FlowCatalogDep, KeysDep, RedisDep, VersionsDep
from ivr.api.flows import FlowCheck, FlowSaved, FlowSummary
from ivr.api.prompts import PromptCheck, PromptDrafts, PromptLanguage
from ivr.flows.trial import TrialTurn
from ivr.tickets.versions import VersionInfo
from ivr.tickets.views import AuditView
from ivr.web.guard import AdminPage, AdminWrite
from ivr.web.templating import render
from ivr.web.text import page_language, translate

router = APIRouter(include_in_schema=False)

# Text the page's scripts show, by key (ivr/web/text/*.yaml); passed as a JSON data block.
SCRIPT_TEXT = (
    "studio_checking",
    "studio_no_errors",
    "studio_line",
    "studio_published",
    "studio_conflict",
    "studio_refused",
    "studio_rolled_back",
    "studio_confirm_rollback",
    "studio_waiting_for",
    "studio_call_ended",
    "studio_diff_same",
    "studio_draw_failed",
    "studio_prompts_published",
    "studio_network",
    "studio_from",
    "studio_to",
    "studio_live_version",
    "studio_rollback",
)


def _texts(request: Request) -> dict[str, str]:
    language = page_language(request)
    return {key: translate(language, key) for key in SCRIPT_TEXT}


@router.get("/admin/flows")
async def studio(
    request: Request,
    session: AdminPage,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
    flow: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The studio page, on one flow (the first by default)."""
    listed = await flows_api.list_flows(session.principal, catalog, redis, keys)
    names = [f.name for f in listed]
    # The main menu first: it is what callers meet.
    chosen = flow if flow in names else ("main" if "main" in names else names[0] if names else "")
    return render(
        request,
        "studio.html",
        {"flows": listed, "chosen": chosen, "texts": _texts(request), "tab": "flows"},
    )


@router.get("/admin/prompts")
async def prompt_page(request: Request, session: AdminPage) -> HTMLResponse:
    """The prompts of every language, edited side by side with the service-language lint."""
    return render(request, "prompts.html", {"texts": _texts(request), "tab": "prompts"})


# ---- the page's data (JSON), each through the API's own function ---------------------------


@router.get("/admin/flows/list", response_model=list[FlowSummary])
async def flow_list(
    session: AdminPage, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> list[FlowSummary]:
    """The flows with their live versions."""
    return await flows_api.list_flows(session.principal, catalog, redis, keys)


@router.get("/admin/flows/{name}/source")
async def flow_source(
    name: str, session: AdminPage, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> Response:
    """The live YAML, its version as the ETag."""
    return await flows_api.get_flow(name, session.principal, catalog, redis, keys)


@router.post("/admin/flows/{name}/check", response_model=FlowCheck)
async def flow_check(
    name: str,
    request: Request,
    session: AdminWrite,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
) -> FlowCheck:
    """Every problem of the draft, with line and node."""
    return await flows_api.check_flow(name, request, session.principal, catalog, redis, keys)


@router.post("/admin/flows/{name}/graph")
async def flow_graph(
    name: str, request: Request, session: AdminWrite, catalog: FlowCatalogDep
) -> Response:
    """The draft drawn by Graphviz."""
    return await flows_api.draw_draft(name, request, session.principal, catalog)


@router.post("/admin/flows/{name}/publish", response_model=FlowSaved)
async def flow_publish(
    name: str,
    request: Request,
    session: AdminWrite,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
    message: Annotated[str, Query(max_length=500)] = "",
    if_match: Annotated[str | None, Header()] = None,
) -> Any:
    """Publish the draft as a new version (409 when it changed since the page loaded it)."""
    return await flows_api.put_flow(
        name,
        request,
        session.principal,
        catalog,
        versions,
        redis,
        keys,
        message=message.strip() or "published in the studio",
        if_match=if_match,
    )


@router.get("/admin/flows/{name}/versions", response_model=list[VersionInfo])
async def flow_history(
    name: str,
    session: AdminPage,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> list[VersionInfo]:
    """The flow's versions, newest first."""
    return await flow_versions.flow_history(name, session.principal, catalog, versions, redis, keys)


@router.get("/admin/flows/{name}/diff")
async def flow_diff(
    name: str,
    session: AdminPage,
    versions: VersionsDep,
    from_: Annotated[int, Query(alias="from", ge=1)],
    to: Annotated[int, Query(ge=1)],
) -> dict[str, Any]:
    """A diff between two versions."""
    found = await flow_versions.flow_diff(name, session.principal, versions, from_, to)
    return found.model_dump(by_alias=True)


@router.post("/admin/flows/{name}/rollback", response_model=FlowSaved)
async def flow_rollback(
    name: str,
    body: flow_versions.Rollback,
    session: AdminWrite,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Publish a new version equal to an old one."""
    return await flow_versions.rollback(
        name, body, session.principal, catalog, versions, redis, keys
    )


@router.post("/admin/flows/{name}/try", response_model=TrialTurn)
async def flow_try(
    name: str,
    body: flow_trial.TrialRequest,
    request: Request,
    session: AdminWrite,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """One step of a simulated call through the draft."""
    return await flow_trial.try_flow(name, body, request, session.principal, catalog, redis, keys)


@router.get("/admin/audit", response_model=list[AuditView])
async def audit_entries(
    session: AdminPage,
    log: AuditLogDep,
    target: Annotated[str | None, Query(max_length=96)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AuditView]:
    """The audit log, newest first."""
    return await audit_api.audit_entries(session.principal, log, target, action, None, limit)


@router.get("/admin/prompts/list", response_model=list[PromptLanguage])
async def prompt_list(
    session: AdminPage,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> list[PromptLanguage]:
    """Each language's prompt file and live version."""
    return await prompts.list_prompts(session.principal, catalog, versions, redis, keys)


@router.post("/admin/prompts/check", response_model=PromptCheck)
async def prompt_check(
    body: PromptDrafts, session: AdminWrite, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> PromptCheck:
    """The lint over the drafts."""
    return await prompts.check(body, session.principal, catalog, redis, keys)


@router.post("/admin/prompts/publish")
async def prompt_publish(
    body: PromptDrafts,
    session: AdminWrite,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Publish the drafts together (422 with every problem)."""
    return await prompts.publish(body, session.principal, catalog, versions, redis, keys)
