"""The FastAPI application: carrier webhooks, the JSON API, health, and the background work.

`create_app()` is the factory uvicorn runs (`ivr serve`); its lifespan wires
every part together and refuses to start on invalid configuration.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from ivr import __version__
from ivr.config import Settings
from ivr.controller.wiring import Services, start_services
from ivr.errors import ConflictError, InvalidInputError, IvrError, NotFoundError
from ivr.logs import configure_logging
from ivr.telephony.front_door import CarrierFrontDoor
from ivr.telephony.hooks import HOOKS_BY_PATH
from ivr.web.site import add_pages

log = logging.getLogger(__name__)


class HotlineApp(FastAPI):
    """FastAPI with the carrier's front door: webhooks are answered before routing."""

    front_door: CarrierFrontDoor | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self.front_door
        if door is not None and await door.answered(scope, receive, send):
            return
        await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None) -> HotlineApp:
    """The service, configured from `settings` (the environment when None)."""
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_format)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start_services(settings) as services:
            services.install(app)
            yield

    app = HotlineApp(
        title="ivr",
        version=__version__,
        summary="Call handling for a bank's customer hotline.",
        lifespan=lifespan,
        # /docs and /redoc are served from our own files by ivr.web.api_docs (no CDN).
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    _add_routes(app)
    _add_error_handlers(app)
    add_pages(app)
    app.front_door = CarrierFrontDoor(app, HOOKS_BY_PATH)
    return app


def _add_routes(app: FastAPI) -> None:
    from ivr.api import (
        agents,
        audit,
        callbacks,
        flow_trial,
        flow_versions,
        flows,
        metrics,
        prompts,
        reports,
        tickets,
    )
    from ivr.telephony import dev_clock, webhooks

    app.include_router(webhooks.router)
    for module in (
        agents,
        tickets,
        callbacks,
        reports,
        flows,
        metrics,
        flow_versions,
        flow_trial,
        prompts,
        audit,
        dev_clock,
    ):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    async def healthz(request: Request) -> JSONResponse:
        """200 when Redis and the ticket store answer, 503 naming the failed part."""
        services: Services = request.app.state.services
        parts = await services.health()
        failed = [name for name, ok in parts.items() if ok != "ok"]
        body: dict[str, Any] = {"status": "ok" if not failed else "unavailable", **parts}
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)


def invalid_input_error(message: str, field: str | None) -> dict[str, Any]:
    """One entry of a 422 `detail` list, as FastAPI writes its own validation errors."""
    return {"loc": ["body", field] if field else ["body"], "msg": message, "type": "value_error"}


def _add_error_handlers(app: FastAPI) -> None:
    def json_error(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
        async def handle(request: Request, exc: Exception) -> JSONResponse:
            detail: dict[str, Any] = {"detail": str(exc)}
            field = getattr(exc, "field", None)
            if field:
                detail["field"] = field
            return JSONResponse(detail, status_code=status)

        return handle

    async def invalid_input(request: Request, exc: Exception) -> JSONResponse:
        # 422 has one shape across the API (OpenAPI's HTTPValidationError): a list of
        # errors with loc/msg/type; `field` stays beside it for older clients.
        field = getattr(exc, "field", None)
        body: dict[str, Any] = {"detail": [invalid_input_error(str(exc), field)]}
        if field:
            body["field"] = field
        return JSONResponse(body, status_code=422)

    app.add_exception_handler(NotFoundError, json_error(404))
    app.add_exception_handler(InvalidInputError, invalid_input)
    app.add_exception_handler(ConflictError, json_error(409))
    app.add_exception_handler(IvrError, json_error(400))
