"""Fetching a caller's recording from the carrier, safely.

Only hosts on IVR_RECORDING_HOSTS are ever contacted, exactly those; a
redirect is followed only on the same host; the account's credentials go
only over https, and only to the carrier's own hosts (`CARRIER_DOMAIN`).
The body is capped in bytes, every attempt has a timeout, and a recording
that is not there yet (Twilio answers 404 for a moment after the call
leg ends) is asked for again a few times.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urljoin, urlsplit

import httpx

from ivr.config import Settings
from ivr.errors import AudioError

# Twilio makes a recording available within a second or two of RecordingStatus.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 1.0, 2.0)
RETRY_STATUSES = frozenset({404, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 3
CARRIER_DOMAIN = "twilio.com"  # where the account SID and auth token may be sent
_AUDIO_TYPES = ("audio/", "application/octet-stream", "video/")


def host_allowed(url: str, allowed: frozenset[str]) -> bool:
    """Whether `url` points at an allowed host: an entry is `host` (any port) or `host:port`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return host in allowed or f"{host}:{port}" in allowed


def carrier_credentials(url: str, settings: Settings) -> httpx.BasicAuth | None:
    """Basic auth with the account SID and token, for an https URL on the carrier's hosts only."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (
        host == CARRIER_DOMAIN or host.endswith("." + CARRIER_DOMAIN)
    ):
        return None
    return httpx.BasicAuth(settings.twilio_account_sid, settings.twilio_auth_token)


def _check_content_type(value: str | None, url: str) -> None:
    kind = (value or "").split(";")[0].strip().lower()
    if kind and not kind.startswith(_AUDIO_TYPES):
        raise AudioError(f"recording at {url} is {kind!r}, not audio")


async def _read_capped(response: httpx.Response, max_bytes: int, url: str) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise AudioError(
            f"recording at {url} is {declared} bytes, more than the {max_bytes} allowed"
        )
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise AudioError(f"recording at {url} is more than the {max_bytes} bytes allowed")
    if not body:
        raise AudioError(f"recording at {url} is empty")
    return bytes(body)


async def _attempt(
    client: httpx.AsyncClient, url: str, *, settings: Settings, auth: httpx.BasicAuth | None
) -> tuple[int, bytes | str]:
    """One GET, following only allowed redirects; (status, body) or (3xx/4xx/5xx, reason)."""
    for _ in range(MAX_REDIRECTS + 1):
        if not host_allowed(url, settings.allowed_recording_hosts):
            raise AudioError(
                f"recording host of {url} is not in IVR_RECORDING_HOSTS; nothing was fetched"
            )
        async with client.stream("GET", url, auth=auth) as response:
            if response.is_redirect and "location" in response.headers:
                target = urljoin(url, response.headers["location"])
                # A redirect elsewhere could point a signed request at anything.
                if urlsplit(target).hostname != urlsplit(url).hostname:
                    raise AudioError(
                        f"recording at {url} redirects to another host ({target}); not followed"
                    )
                auth = auth and carrier_credentials(target, settings)  # never over plain http
                url = target
                continue
            if response.status_code != 200:
                return response.status_code, response.reason_phrase
            _check_content_type(response.headers.get("content-type"), url)
            return 200, await _read_capped(response, settings.recording_max_bytes, url)
    raise AudioError(f"recording at {url} redirects more than {MAX_REDIRECTS} times")


async def fetch_recording(
    url: str,
    *,
    settings: Settings,
    client: httpx.AsyncClient | None = None,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    timeout_seconds: float = 5.0,
) -> bytes:
    """The bytes of the recording at `url`, or AudioError saying why not.

    Basic auth with the account SID and auth token is used when both are set and
    the URL is https on the carrier's hosts.
    """
    if not host_allowed(url, settings.allowed_recording_hosts):
        raise AudioError(
            f"recording host of {url!r} is not in IVR_RECORDING_HOSTS; nothing was fetched"
        )
    auth = carrier_credentials(url, settings)
    own_client = client is None
    http = client or httpx.AsyncClient(timeout=httpx.Timeout(timeout_seconds))
    try:
        status: int = 0
        reason: bytes | str = ""
        for attempt in range(len(retry_delays) + 1):
            if attempt:
                await asyncio.sleep(retry_delays[attempt - 1])
            try:
                # httpx times single reads; a host trickling bytes needs a cap on the whole.
                async with asyncio.timeout(timeout_seconds * 2):
                    status, reason = await _attempt(http, url, settings=settings, auth=auth)
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise AudioError(
                    f"recording host of {url} did not answer in time ({exc!r})"
                ) from exc
            except httpx.HTTPError as exc:
                raise AudioError(f"could not fetch recording at {url}: {exc!r}") from exc
            if status == 200 and isinstance(reason, bytes):
                return reason
            if status not in RETRY_STATUSES:
                break
        raise AudioError(f"recording at {url} answered {status} {reason!s}")
    finally:
        if own_client:
            await http.aclose()
