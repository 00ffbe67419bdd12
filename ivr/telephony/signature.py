"""Checking `X-Twilio-Signature` on every carrier webhook.

Twilio signs the full URL it requested (as it knows it: the public URL, not
what a proxy hands us) plus the sorted POST parameters, with HMAC-SHA1 keyed
by the auth token. We rebuild that URL from IVR_PUBLIC_URL and the request's
path and query, so the check holds behind a proxy or tunnel too.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from twilio.request_validator import RequestValidator

from ivr.api.deps import SettingsDep

log = logging.getLogger(__name__)

MAX_PARAM_CHARS = 4096


def public_url_of(request: Request, public_base: str) -> str:
    """The URL the carrier used to reach this request."""
    base = public_base or str(request.base_url).rstrip("/")
    query = request.url.query
    return f"{base}{request.url.path}" + (f"?{query}" if query else "")


def public_base_of(request: Request, configured: str) -> str:
    """The base URL for links we put in TwiML: IVR_PUBLIC_URL, else how we were reached."""
    return configured or str(request.base_url).rstrip("/")


async def signed_params(request: Request, settings: SettingsDep) -> dict[str, str]:
    """The webhook's form parameters, once its signature is proven; 403 otherwise."""
    form = await request.form()
    params = {key: value for key, value in form.items() if isinstance(value, str)}
    signature = request.headers.get("X-Twilio-Signature", "")
    url = public_url_of(request, settings.public_url)
    validator = RequestValidator(settings.ensure_auth_token())
    if not signature or not validator.validate(url, params, signature):
        log.warning(
            "rejected webhook with %s signature for %s", "a wrong" if signature else "no", url
        )
        raise HTTPException(status_code=403, detail="invalid or missing X-Twilio-Signature")
    # Absurd input (10 kB of speech, control characters) is cut down, never refused:
    # the caller must still hear something sensible.
    return {key: _clean(value) for key, value in params.items()}


def _clean(value: str) -> str:
    value = value[:MAX_PARAM_CHARS]
    return "".join(ch for ch in value if ch.isprintable() or ch == " ")


SignedParams = Annotated[dict[str, str], Depends(signed_params)]
