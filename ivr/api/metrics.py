"""`GET /metrics`: the Prometheus exposition, for a scraper with the metrics or an admin token."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ivr.api.auth import current_principal
from ivr.api.deps import KeysDep, RedisDep, RouterDep, SettingsDep
from ivr.metrics.hotline import Snapshot, hotline_families
from ivr.metrics.webhooks import webhook_registry
from ivr.security import Role

router = APIRouter(tags=["metrics"])


async def metrics_reader(request: Request, settings: SettingsDep) -> None:
    """IVR_METRICS_TOKEN or an admin token; 401 without a token, 403 for another role."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    wanted = settings.metrics_token
    # Constant-time compare, as for the admin token.
    given = token.strip().encode()
    if wanted and scheme.lower() == "bearer" and hmac.compare_digest(given, wanted.encode()):
        return
    principal = await current_principal(request)
    if principal.role is not Role.ADMIN:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="metrics need IVR_METRICS_TOKEN or an admin token"
        )


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text"}},
)
async def metrics(redis: RedisDep, keys: KeysDep, routing: RouterDep) -> Response:
    """Webhook latency by route, queues, agents by state, persister lag, transcription backlog."""
    registry = webhook_registry()
    registry.register(Snapshot(await hotline_families(redis=redis, keys=keys, router=routing)))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
