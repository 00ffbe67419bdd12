"""The carrier's patience: Twilio gives up on a webhook after its timeout, as ours does here."""

from __future__ import annotations

import asyncio

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
