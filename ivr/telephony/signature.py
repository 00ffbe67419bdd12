"""Checking `X-Twilio-Signature` on every carrier webhook.

Twilio signs the full URL it requested (as it knows it: the public URL, not
what a proxy hands us) plus the sorted POST parameters, with HMAC-SHA1 keyed
by the auth token. We rebuild that URL from IVR_PUBLIC_URL and the request's
path and query, so the check holds behind a proxy or tunnel too.
"""

from __future__ import annotations

import base64
import functools
import hmac
import logging
from collections.abc import Mapping

from fastapi import Request
from starlette.types import Scope
from twilio.request_validator import RequestValidator

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


def carrier_urls(scope: Scope, configured: str) -> tuple[str, str]:
    """(the URL the carrier requested, the base URL for TwiML links) of a webhook.

    With IVR_PUBLIC_URL set (any real deployment) both come straight from the ASGI
    scope, as Starlette would build them; otherwise from how we were reached.
    """
    if not configured:
        request = Request(scope)
        return public_url_of(request, ""), public_base_of(request, "")
    path = scope["path"].replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    query = scope.get("query_string", b"").decode()
    return configured + path + ("?" + query if query else ""), configured


class InvalidSignature(Exception):
    """A webhook whose X-Twilio-Signature is wrong or missing (answered 403)."""


@functools.lru_cache(maxsize=4)
def _validator(auth_token: str) -> RequestValidator:
    return RequestValidator(auth_token)


class _Form(dict[str, str]):
    """A form the validator reads without trying two other APIs first.

    RequestValidator asks each parameter for `getall` (Flask), then `getlist`
    (Django), then indexes it; on a plain dict that is two exceptions a parameter.
    """

    def getall(self, name: str) -> list[str]:
        return [self[name]]


def verified_params(
    url: str, form: Mapping[str, str], signature: str, auth_token: str
) -> dict[str, str]:
    """The webhook's parameters, cleaned, once `signature` is proven for `url` and `form`."""
    params = _Form(form)
    if not signature or not _signed(auth_token, url, params, signature):
        log.warning(
            "rejected webhook with %s signature for %s", "a wrong" if signature else "no", url
        )
        raise InvalidSignature("invalid or missing X-Twilio-Signature")
    # Absurd input (10 kB of speech, control characters) is cut down, never refused:
    # the caller must still hear something sensible.
    return {key: _clean(value) for key, value in params.items()}


def _signed(auth_token: str, url: str, params: dict[str, str], signature: str) -> bool:
    """`RequestValidator.validate`, computing one signature instead of two when it matches.

    Twilio's validator always signs the URL both with and without its port and
    accepts either; the URL as we rebuilt it is one of those two, and nearly always
    the one the carrier signed, so it is tried alone first, and in C: the library's
    signature and its character-by-character compare cost a webhook more than its
    HMAC does.
    """
    if hmac.compare_digest(signature_of(auth_token, url, params).encode(), signature.encode()):
        return True
    return bool(_validator(auth_token).validate(url, params, signature))


def signature_of(auth_token: str, url: str, params: Mapping[str, str]) -> str:
    """The X-Twilio-Signature Twilio sends for `params` posted to `url`.

    `RequestValidator.compute_signature` for a form with one value per name: HMAC-SHA1,
    keyed by the auth token, of the URL and then each name and value in name order.
    """
    payload = url + "".join(name + params[name] for name in sorted(params))
    return base64.b64encode(hmac.digest(auth_token.encode(), payload.encode(), "sha1")).decode()


def _clean(value: str) -> str:
    value = value[:MAX_PARAM_CHARS]
    if value.isprintable():  # nearly always: no per-character pass
        return value
    return "".join(ch for ch in value if ch.isprintable() or ch == " ")
