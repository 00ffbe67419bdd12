"""A stand-in service answering fixed TwiML per path, for testing the simulator itself.

It checks every signature with twilio's RequestValidator, the way our service does,
and keeps every request it received.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator


@dataclass(frozen=True)
class Reply:
    """A raw answer (status, content type, body), for answers that are not plain TwiML."""

    body: str = ""
    status_code: int = 200
    content_type: str = "text/xml"


@dataclass(frozen=True)
class Received:
    """One request the stand-in received."""

    method: str
    path: str
    url: str
    params: dict[str, str]
    signature_valid: bool


Answer = str | Reply | Callable[[dict[str, str]], "str | Reply"]


@dataclass
class StandIn:
    """FastAPI app answering `routes[path]`: inner TwiML, a Reply, or a function of the params."""

    auth_token: str
    routes: dict[str, Answer]
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.app = FastAPI()
        self.app.add_api_route(
            "/{path:path}", self._handle, methods=["GET", "POST"], include_in_schema=False
        )

    def transport(self) -> httpx.ASGITransport:
        """An httpx transport that reaches this app in-process."""
        return httpx.ASGITransport(app=self.app)

    def to(self, path: str) -> list[Received]:
        """Requests received at `path`."""
        return [r for r in self.received if r.path == path]

    async def _handle(self, request: Request) -> Response:
        params = {k: str(v) for k, v in (await request.form()).items()}
        signed = params if request.method == "POST" else {}
        valid = RequestValidator(self.auth_token).validate(
            str(request.url), signed, request.headers.get("X-Twilio-Signature", "")
        )
        if request.method == "GET":
            params = dict(request.query_params)
        path = request.url.path
        self.received.append(Received(request.method, path, str(request.url), params, valid))
        if not valid:
            return Response(status_code=403)
        answer = self.routes.get(path)
        if answer is None:
            return Response(status_code=204 if path.endswith("/status") else 404)
        if callable(answer):
            answer = answer(params)
        if isinstance(answer, Reply):
            return Response(answer.body, answer.status_code, media_type=answer.content_type)
        document = f'<?xml version="1.0" encoding="UTF-8"?><Response>{answer}</Response>'
        return Response(document, media_type="text/xml")
