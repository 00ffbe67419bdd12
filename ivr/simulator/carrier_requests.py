"""Signed requests to the service, exactly as Twilio makes them.

Form-encoded POST (or GET with the parameters in the query string), signed with
`X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + sorted params)).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from twilio.request_validator import RequestValidator

from ivr.simulator.record import Exchange

# Content types Twilio reads as TwiML; anything else is its error 12300.
TWIML_CONTENT_TYPES = frozenset({"text/xml", "application/xml", "text/html"})
USER_AGENT = "TwilioProxy/1.1 (ivr call simulator)"
TWILIO_TIMEOUT_SECONDS = 15.0


def new_sid(prefix: str) -> str:
    """A Twilio-shaped sid: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature Twilio would send for this request."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def with_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` appended to its query string (how Twilio sends a GET)."""
    if not params:
        return url
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class CarrierRequests:
    """Sends signed requests; one httpx client per transport, used in turn.

    Several transports stand for several service processes behind one number: request
    n goes to transport n mod len, as a load balancer might send it.
    """

    def __init__(
        self,
        *,
        auth_token: str,
        transports: Sequence[httpx.AsyncBaseTransport | None],
        timeout: float = TWILIO_TIMEOUT_SECONDS,
    ) -> None:
        self._auth_token = auth_token
        self._clients = [
            httpx.AsyncClient(transport=t, timeout=timeout, follow_redirects=False)
            for t in (transports or [None])
        ]
        self._sent = 0

    async def aclose(self) -> None:
        """Close every client."""
        for client in self._clients:
            await client.aclose()

    async def send(
        self, *, purpose: str, url: str, method: str, params: dict[str, str]
    ) -> Exchange:
        """Make one signed request; network and HTTP errors are kept in `Exchange.error`."""
        client = self._clients[self._sent % len(self._clients)]
        self._sent += 1
        headers = {"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": secrets.token_hex(16)}
        if method == "GET":
            target, body = with_query(url, params), None
            signature = sign(self._auth_token, target, {})
        else:
            target, body = url, params
            signature = sign(self._auth_token, url, params)
        headers["X-Twilio-Signature"] = signature
        exchange = Exchange(
            purpose=purpose, method=method, url=target, params=dict(params), signature=signature
        )
        try:
            response = await client.request(method, target, data=body, headers=headers)
        except httpx.HTTPError as exc:
            return replace(exchange, error=f"cannot reach {target}: {exc!r} (Twilio error 11200)")
        content_type = response.headers.get("content-type", "")
        exchange = replace(
            exchange,
            status_code=response.status_code,
            content_type=content_type,
            body=response.text,
        )
        if not 200 <= response.status_code < 300:
            problem = f"{method} {target} answered HTTP {response.status_code}"
            return replace(exchange, error=problem + " (Twilio error 11200)")
        return exchange


def twiml_content_error(exchange: Exchange) -> str:
    """Why Twilio would not read this answer as TwiML, or '' when it would."""
    media_type = exchange.content_type.split(";", 1)[0].strip().lower()
    if media_type not in TWIML_CONTENT_TYPES:
        shown = media_type or "no Content-Type"
        return f"{exchange.url} answered {shown}, not text/xml (Twilio error 12300)"
    return ""
