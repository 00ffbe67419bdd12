"""Try it: a simulated call through a draft flow, stepped by the pure engine (admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from ivr.api.auth import AdminDep
from ivr.api.deps import FlowCatalogDep, KeysDep, RedisDep
from ivr.api.flows import MAX_FLOW_BYTES, invalid
from ivr.calls.state import CallState
from ivr.flows import trial
from ivr.ids import Language
from ivr.nlu.models import Reading

router = APIRouter(prefix="/api/flows", tags=["flows"])


class TrialRequest(BaseModel):
    """One step of a simulated call through a draft."""

    draft: str = Field(max_length=MAX_FLOW_BYTES, description="the flow's YAML as edited")
    state: CallState | None = Field(default=None, description="from the last answer; None: dial")
    input: trial.TrialInput = Field(default_factory=trial.TrialInput)
    language: Language = Language.EN_US
    hours: trial.Hours = Field(default=None, description="pretend the bank is open or closed")


@router.post("/{name}/try", response_model=trial.TrialTurn)
async def try_flow(
    name: str,
    body: TrialRequest,
    request: Request,
    _: AdminDep,
    catalog: FlowCatalogDep,
    redis: RedisDep,
    keys: KeysDep,
) -> Any:
    """Dial into the draft (no `state`) or answer where the call waits; what the caller hears."""
    await catalog.reload_if_stale(redis, keys)
    draft, errors = catalog.check(name, body.draft)
    if errors or draft is None:
        return invalid(errors)
    flows = trial.with_hours({**catalog.flows, name: draft}, body.hours)
    now = dt.datetime.now(dt.UTC)
    understanding = getattr(request.app.state, "understanding", None)

    def read(text: str, language: Language) -> Reading | None:
        return understanding.read(text, language) if understanding is not None else None

    min_confidence = float(getattr(understanding, "min_confidence", 0.5))
    if body.state is None:
        return trial.begin(flows, catalog.prompts, flow=name, language=body.language, now=now)
    try:
        return trial.step(
            flows,
            catalog.prompts,
            body.state,
            body.input,
            read=read,
            min_confidence=min_confidence,
            now=now,
        )
    except KeyError:
        raise HTTPException(
            409, detail="the draft no longer has the node this call waits at: dial again"
        ) from None
