"""The prompts API: each language's prompt file, checked with the service-language lint,
published together (a version per language, audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ivr.api.audit import actor
from ivr.api.auth import AdminDep, AdminOrSupervisorDep
from ivr.api.deps import FlowCatalogDep, KeysDep, RedisDep, VersionsDep
from ivr.api.flows import MAX_FLOW_BYTES, YAML_TYPE, admin_errors, validation_shaped
from ivr.flows.problems import FlowConfigError
from ivr.flows.publishing import PROMPTS, check_prompts, publish_prompts, seed_prompts
from ivr.prompts.loader import LintError, PromptConfigError
from ivr.tickets.versions import VersionInfo

router = APIRouter(prefix="/api/prompts", tags=["prompts"])


class PromptLanguage(BaseModel):
    """One language's prompts as stored, with its live version."""

    language: str
    version: int
    prompts: int
    text: str


class PromptDrafts(BaseModel):
    """Prompt files as edited: language -> YAML."""

    texts: dict[Annotated[str, Field(pattern=r"^[a-z]{2}-[A-Z]{2}$")], str] = Field(
        min_length=1, max_length=8
    )
    message: str = Field(default="published through the API", max_length=500)
    base: dict[str, int] = Field(
        default_factory=dict, description="language -> the version you edited"
    )


class PromptCheck(BaseModel):
    """Every problem publishing the drafts would find."""

    ok: bool
    problems: list[dict[str, Any]]


def _problems(lint: list[LintError], flows: list[Any]) -> list[dict[str, Any]]:
    found = [
        validation_shaped(problem.model_dump() | {"file": f"prompts/{Path(problem.file).name}"})
        for problem in lint
    ]
    return found + admin_errors(flows)


@router.get("", response_model=list[PromptLanguage])
async def list_prompts(
    _: AdminOrSupervisorDep,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> list[PromptLanguage]:
    """Each language's prompt file, with its live version (0: never published)."""
    await catalog.reload_if_stale(redis, keys)
    await seed_prompts(catalog=catalog, versions=versions)
    numbers = await versions.latest_numbers(PROMPTS)
    found = []
    for language, prompt_set in sorted(catalog.prompts.sets.items()):
        path = catalog.prompts_dir / f"{language}.yaml"
        found.append(
            PromptLanguage(
                language=str(language),
                version=numbers.get(str(language), 0),
                prompts=len(prompt_set.prompts),
                text=path.read_text(encoding="utf-8"),
            )
        )
    return found


@router.post("/check", response_model=PromptCheck)
async def check(
    body: PromptDrafts, _: AdminDep, catalog: FlowCatalogDep, redis: RedisDep, keys: KeysDep
) -> PromptCheck:
    """The service-language lint and the flows' checks over the drafts, changing nothing."""
    _limit(body)
    await catalog.reload_if_stale(redis, keys)
    _catalog, lint, flows = check_prompts(catalog, body.texts)
    problems = _problems(lint, flows)
    return PromptCheck(ok=not problems, problems=problems)


@router.put(
    "",
    response_model=list[VersionInfo],
    responses={409: {"description": "a language changed after its `base`"}},
)
async def publish(
    body: PromptDrafts,
    principal: AdminDep,
    catalog: FlowCatalogDep,
    versions: VersionsDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Publish the drafts (every language given, together); 422 with every problem."""
    _limit(body)
    await catalog.reload_if_stale(redis, keys)
    try:
        published = await publish_prompts(
            catalog=catalog,
            versions=versions,
            redis=redis,
            keys=keys,
            texts=body.texts,
            author=actor(principal),
            message=body.message,
            base=body.base or None,
        )
    except PromptConfigError as exc:
        lint = [p for p in exc.problems if isinstance(p, LintError)]
        return JSONResponse(status_code=422, content={"detail": _problems(lint, [])})
    except FlowConfigError as exc:
        return JSONResponse(status_code=422, content={"detail": _problems([], exc.errors)})
    return [VersionInfo.model_validate(v, from_attributes=True) for v in published]


@router.get(
    "/{language}/versions/{version}",
    response_class=Response,
    responses={200: {"content": {YAML_TYPE: {}}, "description": "that version's YAML"}},
)
async def prompt_version(
    language: str, version: int, _: AdminOrSupervisorDep, versions: VersionsDep
) -> Response:
    """One published version of a language's prompts."""
    found = await versions.get(PROMPTS, language, version)
    return Response(content=found.text, media_type=YAML_TYPE)


@router.get("/{language}/versions", response_model=list[VersionInfo])
async def prompt_history(
    language: str, _: AdminOrSupervisorDep, versions: VersionsDep
) -> list[VersionInfo]:
    """A language's published prompt versions, newest first."""
    return await versions.history(PROMPTS, language)


def _limit(body: PromptDrafts) -> None:
    for language, text in body.texts.items():
        if len(text.encode()) > MAX_FLOW_BYTES:
            raise HTTPException(
                413, detail=f"{language}: a prompt file is at most {MAX_FLOW_BYTES} bytes"
            )
