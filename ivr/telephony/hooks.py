"""The carrier's webhooks we answer: path, callback schema, and how each fails.

The edge (the front door and the FastAPI routes) finds a hook by its path,
validates the carrier's form into the hook's schema and our query into
`HookQuery`, and hands both to the call controller through `CallController`.
The controller decides what each hook does; this table only names them, so the
edge never imports the controller it serves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from ivr.telephony.schemas import (
    CallStatusCallback,
    CarrierCallback,
    DialResult,
    GatherResult,
    HookQuery,
    IncomingCall,
    QueueResult,
    QueueWait,
    RecordingResult,
)


@dataclass(frozen=True)
class Hook:
    """One carrier webhook: its path, the schema of its form, how it answers the unexpected."""

    path: str
    kind: str
    form: type[CarrierCallback]
    doc: str
    cache: bool = True  # answer a carrier's retry from the cache


class CallController(Protocol):
    """What the edge needs of the call controller (ivr.controller.switchboard.Switchboard)."""

    async def answer(
        self,
        hook: Hook,
        callback: CarrierCallback,
        query: HookQuery,
        *,
        fingerprint: str,
        base_url: str,
    ) -> bytes:
        """The TwiML answering one validated webhook, encoded; always valid TwiML."""
        ...

    def failed(self, hook: Hook, base_url: str) -> str:
        """What the caller hears when the webhook failed before the controller saw it."""
        ...


HOOKS: tuple[Hook, ...] = (
    Hook("/voice", "voice", IncomingCall, "A call comes in (the number's Voice URL)."),
    Hook("/gather", "gather", GatherResult, "Keys or speech from a `<Gather>`, or its timeout."),
    Hook("/record", "record", RecordingResult, "A `<Record>` finished."),
    Hook(
        "/transcribing",
        "transcribing",
        CarrierCallback,
        "Polled while the caller's recording is transcribed.",
    ),
    Hook(
        "/confirm",
        "confirm",
        GatherResult,
        "The caller's answer when asked to confirm words heard with low confidence.",
    ),
    Hook(
        "/queue/wait",
        "queue_wait",
        QueueWait,
        "`<Enqueue waitUrl>`: news for a waiting caller.",
        cache=False,
    ),
    Hook("/queue/key", "queue_key", GatherResult, "A key pressed while waiting."),
    Hook(
        "/queue/choice",
        "queue_choice",
        GatherResult,
        "The caller's choice after the longest wait: callback or voicemail.",
    ),
    Hook("/queue/done", "queue_done", QueueResult, "`<Enqueue action>`: the caller left."),
    Hook("/dial/done", "dial_done", DialResult, "`<Dial action>`: the agent leg ended."),
    Hook("/transfer/done", "transfer_done", DialResult, "A transfer outside the hotline ended."),
    Hook(
        "/status",
        "status",
        CallStatusCallback,
        "The call's status callback (`CallStatus`, `CallDuration`).",
    ),
)

HOOKS_BY_PATH = {hook.path: hook for hook in HOOKS}


def fingerprint(url: str, params: Mapping[str, str]) -> str:
    """Equal for a carrier's retry of the same webhook, different for any other.

    `url` holds our query (with the call's step number); `params` the carrier's form.
    """
    text = url + "|" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]
