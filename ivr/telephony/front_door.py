"""The carrier's front door: answers `POST /twilio/<hook>` straight from ASGI.

Every webhook of every call comes through here, so its per-request cost is the
service's throughput. FastAPI's dependency solving, routing over every API
route and multipart-capable form parsing cost more than the menu step itself;
a carrier's webhook needs none of it: one urlencoded body, one signature, one
answer from the call controller. The FastAPI routes in `webhooks.py` stay (they
document the hooks in OpenAPI and take any body Starlette can parse); both call
`serve_hook`, so the two doors answer alike.

Measured (py-spy on a loaded server, `bench/webhook.py`): FastAPI's route and
dependency solving plus its multipart-capable form parser cost more than the
menu step itself; answering here made the per-webhook overhead a fraction of
it. `parse_form` is the form parser: most pairs of a carrier's form need no
unquoting, so only those with `%` or `+` go through `unquote_plus`, for less
than `parse_qsl` spends.

Anything this door does not recognise (another path or method, another content
type, the service not started yet) goes on to FastAPI unchanged. `HotlineApp`
(ivr/app.py) opens this door before its own.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote_plus

from starlette.types import Message, Receive, Scope, Send

from ivr.logs import CALL_SID, bind_call
from ivr.metrics.webhooks import observe_webhook
from ivr.telephony.hooks import CallController, Hook, fingerprint
from ivr.telephony.schemas import HookQuery
from ivr.telephony.signature import InvalidSignature, carrier_urls, verified_params
from ivr.telephony.twiml import XML_CONTENT_TYPE

if TYPE_CHECKING:
    from fastapi import FastAPI

    from ivr.config import Settings

log = logging.getLogger(__name__)

PREFIX = "/twilio"
FORM_TYPE = b"application/x-www-form-urlencoded"
_XML_TYPE = XML_CONTENT_TYPE.encode()
MAX_BODY_BYTES = 1 << 20  # a carrier's form is a few hundred bytes; 10 kB of speech fits easily


class CarrierFrontDoor:
    """Answers the carrier's webhooks of `app` before FastAPI sees them."""

    def __init__(self, app: FastAPI, hooks: Mapping[str, Hook]) -> None:
        self.app = app
        self.hooks = dict(hooks)

    async def answered(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Answer `scope` if it is a carrier webhook this door takes; False to pass it on."""
        hook = self._hook_for(scope)
        state = self.app.state
        board: CallController | None = getattr(state, "switchboard", None)
        if hook is None or board is None:  # not ours, or not started: FastAPI decides
            return False
        body = await _read_body(receive)
        if body is None:
            await _send(send, 413, b'{"detail":"request body too large"}', b"application/json")
            return True
        form = parse_form(body.decode("latin-1"))
        # Every line logged while this webhook is answered names its call (IVR_LOG_FORMAT).
        bound = bind_call(form.get("CallSid"))
        started = time.perf_counter()
        try:
            xml = await serve_hook(hook, board, scope, form, state.settings)
        except InvalidSignature as exc:
            detail = json.dumps({"detail": str(exc)}).encode()
            await _send(send, 403, detail, b"application/json")
            CALL_SID.reset(bound)
            return True
        except Exception:  # never a 500 to the carrier: the caller hears an apology
            log.exception(
                "webhook %s failed before the switchboard (CallSid %s)",
                hook.kind,
                form.get("CallSid", "?"),
            )
            xml = board.failed(hook, carrier_urls(scope, state.settings.public_url)[1]).encode()
        observe_webhook(hook.kind, time.perf_counter() - started)
        await _send(send, 200, xml, _XML_TYPE)
        CALL_SID.reset(bound)
        return True

    def _hook_for(self, scope: Scope) -> Hook | None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not path.startswith(PREFIX):
            return None
        hook = self.hooks.get(path[len(PREFIX) :])
        if hook is None:
            return None
        for name, value in scope["headers"]:
            if name == b"content-type":
                return hook if value.split(b";")[0].strip().lower() == FORM_TYPE else None
        return None


async def serve_hook(
    hook: Hook, board: CallController, scope: Scope, form: Mapping[str, str], settings: Settings
) -> bytes:
    """Check the signature, validate the form and our query, let the controller answer.

    The carrier's form becomes the hook's schema and our query parameters
    `HookQuery`, each validated once, here. Raises InvalidSignature (a 403,
    nothing changes) for a wrong or missing signature.
    """
    url, base_url = carrier_urls(scope, settings.public_url)
    signature = ""
    for name, value in scope["headers"]:
        if name == b"x-twilio-signature":
            signature = value.decode("latin-1")
            break
    params = verified_params(url, form, signature, settings.ensure_auth_token())
    # Our own query parameters (flow, node, silence, ...) are kept apart from the carrier's.
    query = parse_form(scope.get("query_string", b"").decode("latin-1"))
    return await board.answer(
        hook,
        hook.form.model_validate(params),
        HookQuery.model_validate(query),
        fingerprint=fingerprint(url, params),
        base_url=base_url,
    )


def parse_form(text: str) -> dict[str, str]:
    """`dict(parse_qsl(text, keep_blank_values=True, errors="replace"))`, for less.

    Most pairs of a carrier's form (ids, statuses, digits) need no unquoting;
    only those with `%` or `+` go through `unquote_plus`.
    """
    form: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        if "%" in pair or "+" in pair:
            name = unquote_plus(name, errors="replace")
            value = unquote_plus(value, errors="replace")
        form[name] = value
    return form


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
