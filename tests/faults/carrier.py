"""The carrier's side of a fault: Twilio's patience, and the proxy in front of our servers."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs

import httpx

# Twilio waits 15 s by default; we promise an answer within ~3 s whatever is hung, and
# the carrier here holds us to that with room to spare on a loaded machine.
PATIENCE_SECONDS = 6.0


class GivesUp(httpx.AsyncBaseTransport):
    """Wraps a transport; a request unanswered after `seconds` fails as a read timeout."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seconds: float = PATIENCE_SECONDS):
        self.inner = inner
        self.seconds = seconds

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await asyncio.wait_for(self.inner.handle_async_request(request), self.seconds)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no answer within {self.seconds}s", request=request) from None


@dataclass(frozen=True)
class Retried:
    """A request an upstream failed (refused, reset, cut off) and the next one was given."""

    url: str
    call_sid: str
    upstream: str
    error: str


class FailsOver(httpx.AsyncBaseTransport):
    """The proxy of deploy/nginx.conf in front of several server processes.

    Requests go to each upstream in turn (`max_fails=0`: a dead one keeps its turn);
    one that fails at the connection (refused, reset, the server gone mid-request)
    is passed to the next upstream once, as `proxy_next_upstream error timeout
    non_idempotent` does: our webhooks are safe to repeat (the step number in each
    URL, answers cached by it, event ids), so a POST is passed on too.
    """

    def __init__(self, upstreams: Sequence[str]) -> None:
        self.upstreams = list(upstreams)
        self.retried: list[Retried] = []
        # The CallSid of each request an upstream holds now, by upstream.
        self.in_flight: dict[str, Counter[str]] = {url: Counter() for url in self.upstreams}
        self._turn = 0
        self._transports = {url: httpx.AsyncHTTPTransport() for url in self.upstreams}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        call_sid = parse_qs(body.decode()).get("CallSid", [""])[0]
        first, self._turn = self._turn, self._turn + 1
        tries = [self.upstreams[(first + n) % len(self.upstreams)] for n in range(2)]
        for upstream in tries:
            target = httpx.URL(upstream)
            forwarded = httpx.Request(
                request.method,
                request.url.copy_with(scheme=target.scheme, host=target.host, port=target.port),
                headers=request.headers,
                content=body,
                extensions=request.extensions,
            )
            self.in_flight[upstream][call_sid] += 1
            try:
                response = await self._transports[upstream].handle_async_request(forwarded)
                try:  # the whole answer, before this upstream may die
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
                return httpx.Response(response.status_code, headers=response.headers, content=raw)
            except httpx.TransportError as exc:
                if upstream == tries[-1]:
                    raise
                self.retried.append(Retried(str(request.url), call_sid, upstream, repr(exc)))
            finally:
                self.in_flight[upstream][call_sid] -= 1
        raise AssertionError("unreachable")  # pragma: no cover

    def calls_at(self, upstream: str) -> list[str]:
        """The calls whose webhook `upstream` holds now."""
        return [sid for sid, n in self.in_flight[upstream].items() if n > 0 and sid]

    async def shut(self) -> None:
        """Close the connections to every upstream (the carrier's clients leave them open)."""
        for transport in self._transports.values():
            await transport.aclose()
