"""`POST /dev/clock`: the simulator moves the service's clock on by the time it skipped.

Only a service that runs for the simulator (no IVR_PUBLIC_URL, or
IVR_SIMULATED_CLOCK=1) has the route at all; any other answers 404. The
request is signed as a carrier webhook is, with the auth token `ivr call`
signs with, so nothing else on the machine moves the clock either.
"""

from __future__ import annotations

import math
from typing import cast

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from ivr.clock import ServiceClock
from ivr.config import Settings
from ivr.telephony.signature import InvalidSignature, public_url_of, verified_params

router = APIRouter(prefix="/dev", tags=["simulator"], include_in_schema=False)

MAX_ADVANCE_SECONDS = 7 * 86400.0  # one request moves the clock at most a week


class ClockReading(BaseModel):
    """The service's clock after the move."""

    now: float
    offset: float


@router.post("/clock")
async def advance_clock(request: Request) -> ClockReading:
    """Move the service's clock on by `advance` seconds (form field); signed like a webhook."""
    settings = cast(Settings, request.app.state.settings)
    clock = cast(ServiceClock | None, getattr(request.app.state, "clock", None))
    if clock is None or not clock.movable:
        raise HTTPException(404, "this service keeps real time")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        params = verified_params(
            public_url_of(request, settings.public_url),
            form,
            request.headers.get("X-Twilio-Signature", ""),
            settings.twilio_auth_token,
        )
    except InvalidSignature as exc:
        raise HTTPException(403, str(exc)) from exc
    try:
        seconds = float(params.get("advance", ""))
    except ValueError:
        seconds = math.nan
    if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        # A 422 has the API's one shape: a list of problems, each with its place.
        problem = f"advance must be seconds from 0 to {MAX_ADVANCE_SECONDS:g}"
        raise HTTPException(
            422, [{"loc": ["body", "advance"], "msg": problem, "type": "value_error"}]
        )
    offset = await clock.advance(seconds)
    # Wrap-ups that ended in the skipped time end now, and waiting callers are served.
    await request.app.state.router.tick()
    return ClockReading(now=clock.now(), offset=offset)
