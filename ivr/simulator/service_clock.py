"""The service's clock, moved on by the simulated time a call skips."""

from __future__ import annotations

from ivr.simulator.carrier_requests import CarrierRequests

# Simulated time is reported to the service in steps of at least this (not every <Say>).
CLOCK_STEP_SECONDS = 5.0


class ServiceClock:
    """Tells the service how much simulated time passed, so its wrap-ups and waits keep
    the call's time; a service that keeps real time answers 404 and is not asked again."""

    def __init__(self, *, url: str, requests: CarrierRequests) -> None:
        self._url = url
        self._requests = requests
        self._skipped = 0.0  # simulated seconds the service's clock has not yet been moved by

    def skip(self, seconds: float) -> None:
        """Simulated seconds passed without being slept."""
        self._skipped += seconds

    async def catch_up(self) -> None:
        """Move the service's clock by what was skipped, once a whole step has gathered."""
        if not self._url or self._skipped < CLOCK_STEP_SECONDS:
            return
        moved = await self._requests.send(
            purpose="clock",
            url=self._url,
            method="POST",
            params={"advance": f"{self._skipped:.3f}"},
        )
        if moved.error:  # it keeps real time (a 404), or is unreachable: no more asking
            self._url = ""
        self._skipped = 0.0
