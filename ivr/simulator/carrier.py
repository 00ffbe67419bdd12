"""The simulated carrier: places calls to the service the way Twilio does."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import httpx

from ivr.simulator.call_setup import CallSetup, Limits
from ivr.simulator.callers import CallerInput, ScriptedCaller
from ivr.simulator.carrier_requests import TWILIO_TIMEOUT_SECONDS, CarrierRequests
from ivr.simulator.record import CallRecord, Event
from ivr.simulator.recordings import RecordingServer
from ivr.simulator.script import AgentAnswers, AgentStep, ScriptStep
from ivr.simulator.session import CallSession

DEFAULT_ACCOUNT_SID = "AC" + "5" * 32
DEFAULT_CALLER = "+14155550123"
DEFAULT_CALLER_ZH = "+8613800138000"
DEFAULT_CALLED = "+18005550100"

Transport = httpx.AsyncBaseTransport


def default_caller(language: str) -> str:
    """A caller number from the language's home country (callers from China dial +86)."""
    return DEFAULT_CALLER_ZH if language == "zh-CN" else DEFAULT_CALLER


class Carrier:
    """Places signed, Twilio-shaped calls to a service at `base_url`.

    `transport` is an httpx transport (e.g. `httpx.ASGITransport(app)`), a sequence of
    them (requests go to each in turn, as to several processes behind a balancer), or
    None for real HTTP.
    """

    def __init__(
        self,
        *,
        base_url: str,
        auth_token: str,
        transport: Transport | Sequence[Transport] | None = None,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        voice_path: str = "/twilio/voice",
        status_path: str = "/twilio/status",
        agent: AgentStep | None = None,
        limits: Limits | None = None,
        realtime: bool = False,
        recordings: RecordingServer | None = None,
        observer: Callable[[Event], None] | None = None,
        timeout: float = TWILIO_TIMEOUT_SECONDS,
        recording_linger: float = 0.0,
        move_service_clock: bool = False,
    ) -> None:
        if not auth_token:
            raise ValueError("auth_token is required: Twilio signs every request with it")
        self.base_url = base_url.rstrip("/")
        self._auth_token = auth_token
        if transport is None or isinstance(transport, Transport):
            self._transports: list[Transport | None] = [transport]
        else:
            self._transports = list(transport)
        self.account_sid = account_sid
        self.voice_url = self.base_url + voice_path
        self.status_url = self.base_url + status_path
        self.agent = agent or AgentAnswers()
        self.limits = limits or Limits()
        self.realtime = realtime
        self._recordings = recordings
        self._observer = observer
        self._timeout = timeout
        # Keep serving a call's recordings this long after it ends, until fetched.
        self._recording_linger = recording_linger
        # Report skipped (simulated) time to the service's /dev/clock, so its wrap-ups and
        # waits pass with ours; a service that keeps real time says 404 and is left alone.
        self.clock_url = self.base_url + "/dev/clock" if move_service_clock else ""

    async def place_call(
        self,
        steps: Sequence[ScriptStep] = (),
        *,
        caller: str | None = None,
        called: str = DEFAULT_CALLED,
        language: str = "en-US",
        call_sid: str = "",
        caller_input: CallerInput | None = None,
    ) -> CallRecord:
        """Call the service, answer its TwiML from `steps` (or `caller_input`), return the record.

        `language` is the caller's: it picks the default caller number's country and the
        voice that speaks a typed answer to a `<Record>`.
        """
        setup = CallSetup(
            voice_url=self.voice_url,
            status_url=self.status_url,
            account_sid=self.account_sid,
            caller=caller or default_caller(language),
            called=called,
            language=language,
            default_agent=self.agent,
            limits=self.limits,
            realtime=self.realtime,
            call_sid=call_sid,
            clock_url=self.clock_url,
        )
        own_server: list[RecordingServer] = []

        def recordings() -> RecordingServer:
            # Started only when a recording is needed, and stopped with the call.
            if self._recordings is not None:
                return self._recordings
            if not own_server:
                own_server.append(RecordingServer(account_sid=self.account_sid))
                own_server[0].start()
            return own_server[0]

        webhooks = CarrierRequests(
            auth_token=self._auth_token, transports=self._transports, timeout=self._timeout
        )
        session = CallSession(
            setup=setup,
            webhooks=webhooks,
            caller_input=caller_input or ScriptedCaller(steps),
            recordings=recordings,
            observer=self._observer,
        )
        try:
            return await session.run()
        finally:
            await webhooks.aclose()
            for server in own_server:
                if self._recording_linger:
                    await asyncio.to_thread(server.wait_until_fetched, self._recording_linger)
                server.stop()
