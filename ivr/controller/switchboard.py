"""The switchboard: answers each carrier webhook of a call with TwiML.

It takes the call's lock and state, hands the validated webhook to the part of
the controller its hook belongs to, and saves the state, the events and the
answer in one round trip. Whatever fails inside, the caller hears an apology in
their language and is put through to the general queue (or, while waiting,
hold music).

The parts are small classes built with only the ports each uses: `FlowRunner`
(the flow), `Recording` (and `Confirmation`, for words it heard unsurely),
`Connector` (routing and dialling an agent), `Queueing`, `Dialling`,
`Callbacks`, `Voicemail`, `Survey`, and the `Listener` that reads the
caller's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.state import CallState
from ivr.calls.store import CallStore, OpenedCall
from ivr.clock import ServiceClock
from ivr.config import Settings
from ivr.controller.callbacks import MAIN_FLOW, Callbacks
from ivr.controller.confirming import Confirmation
from ivr.controller.connect import Connector
from ivr.controller.deadlines import Deadlines
from ivr.controller.dialling import Dialling
from ivr.controller.flow_runner import FlowRunner
from ivr.controller.listening import Listener
from ivr.controller.ports import (
    FlowSource,
    HistoryPort,
    RouterPort,
    TranscriptionPort,
    UnderstandingPort,
)
from ivr.controller.queueing import Queueing
from ivr.controller.recording import Recording
from ivr.controller.survey import Survey
from ivr.controller.voicemail import Voicemail
from ivr.controller.webhook import Webhook
from ivr.events import EventLog
from ivr.flows import engine
from ivr.ids import Language
from ivr.prompts.fallback import last_words
from ivr.telephony import twiml
from ivr.telephony.hooks import HOOKS, Hook
from ivr.telephony.schemas import CarrierCallback, HookQuery
from ivr.telephony.twiml import Speaker

log = logging.getLogger(__name__)

GENERAL_QUEUE = "general"
# A handler gets the webhook being answered, the carrier's validated form, our query.
Handler = Callable[[Webhook, Any, HookQuery], Awaitable[None]]


@dataclass(frozen=True)
class HookRoute:
    """What answers one hook: its handler, and what answers it for a call we don't know."""

    handler: Handler
    unknown: Handler  # a call we have no state for
    on_failure: Callable[[CallState | None, str], str]  # what the caller hears then


@dataclass
class _Progress:
    """How far a webhook got, for its answer when the deadline cuts it short."""

    opened: OpenedCall | None = None
    state: CallState | None = None


async def _nothing(webhook: Webhook, callback: CarrierCallback, query: HookQuery) -> None:
    """Answer with an empty document (status callbacks for unknown calls)."""


class Switchboard:
    """Answers the webhooks of every call."""

    def __init__(
        self,
        *,
        settings: Settings,
        calls: CallStore,
        config: FlowSource,
        understanding: UnderstandingPort,
        router: RouterPort,
        transcription: TranscriptionPort,
        history: HistoryPort,
        events: EventLog,
        clock: ServiceClock | None = None,
    ) -> None:
        # The service's clock (ivr.clock): the flow's hours, waits and ticket times.
        self.clock: Callable[[], float] = clock.now if clock is not None else time.time
        self.calls = calls
        self.config = config
        self.events = events
        self._settings = settings  # read per webhook: its deadline may be changed live
        self._deadlines = Deadlines()
        self._releasing: set[asyncio.Task[None]] = set()
        listener = Listener(understanding=understanding)
        callbacks = Callbacks(booking=router, config=config)
        connector = Connector(routing=router, callbacks=callbacks, listener=listener)
        flow = FlowRunner(
            config=config,
            history=history,
            listener=listener,
            connector=connector,
            callbacks=callbacks,
            transcription=transcription,
        )
        voicemail = Voicemail(
            callbacks=callbacks,
            transcription=transcription,
            resume=flow.resume,
            perform=flow.perform,
            settings=settings,
            clock=self.clock,
        )
        confirmation = Confirmation(listener=listener, resume=flow.resume, perform=flow.perform)
        recording = Recording(
            config=config,
            transcription=transcription,
            listener=listener,
            voicemail=voicemail,
            confirmation=confirmation,
            resume=flow.resume,
            perform=flow.perform,
            settings=settings,
            clock=self.clock,
        )
        queueing = Queueing(
            waiting=router,
            connector=connector,
            callbacks=callbacks,
            voicemail=voicemail,
            config=config,
        )
        dialling = Dialling(
            legs=router, connector=connector, survey=Survey(config=config, runner=flow)
        )
        apology, hold = self.apology, queueing.hold
        self.routes: dict[str, HookRoute] = {
            "voice": HookRoute(flow.incoming, flow.restart, apology),
            "gather": HookRoute(flow.gathered, flow.restart, apology),
            "record": HookRoute(recording.recorded, flow.restart, apology),
            "transcribing": HookRoute(recording.transcribing, flow.restart, apology),
            "confirm": HookRoute(confirmation.answered, flow.restart, apology),
            "queue_wait": HookRoute(queueing.wait, queueing.leave, hold),
            "queue_key": HookRoute(queueing.key, queueing.leave, hold),
            "queue_choice": HookRoute(queueing.choice, queueing.leave, hold),
            "queue_done": HookRoute(queueing.done, flow.restart, apology),
            "dial_done": HookRoute(dialling.done, dialling.unknown, apology),
            "transfer_done": HookRoute(dialling.transfer_done, dialling.unknown, apology),
            "status": HookRoute(queueing.call_ended, _nothing, hold),
        }
        unanswered = {hook.kind for hook in HOOKS} - self.routes.keys()
        assert not unanswered, f"hooks without a handler: {sorted(unanswered)}"

    async def answer(
        self,
        hook: Hook,
        callback: CarrierCallback,
        query: HookQuery,
        *,
        fingerprint: str,
        base_url: str,
    ) -> bytes:
        """Answer one validated webhook under the call's lock; always valid TwiML, encoded.

        A carrier's retry (same `fingerprint`) is answered from the cache, except for
        hooks that poll (`hook.cache` False), whose identical requests are not retries.
        """
        route = self.routes[hook.kind]
        progress = _Progress()
        deadline = self._deadlines.hold(self._settings.webhook_deadline_seconds)
        try:
            # A hung Redis (or anything else hung) must not hold the caller in silence
            # until the carrier gives up: past the deadline they hear the apology.
            async with deadline:
                return await self._answer(
                    hook, route, callback, query, fingerprint, base_url, progress
                )
        except TimeoutError:
            log.error(
                "webhook %s for call %s passed its %.1fs deadline; answered with the fallback",
                hook.kind,
                callback.CallSid or "?",
                self._settings.webhook_deadline_seconds,
            )
            if progress.opened is not None:  # free the call's lock without waiting for it
                self._release_later(progress.opened)
            return route.on_failure(progress.state, base_url).encode()
        finally:
            self._deadlines.release(deadline)

    def _release_later(self, opened: OpenedCall) -> None:
        async def release() -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self._settings.webhook_deadline_seconds):
                    await self.calls.release(opened)

        task = asyncio.get_running_loop().create_task(release())
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _answer(
        self,
        hook: Hook,
        route: HookRoute,
        callback: CarrierCallback,
        query: HookQuery,
        fingerprint: str,
        base_url: str,
        progress: _Progress,
    ) -> bytes:
        call_sid = callback.CallSid
        if not call_sid:
            log.warning("%s webhook without CallSid", hook.kind)
            return route.on_failure(None, base_url).encode()
        state: CallState | None = None
        try:
            # Waiting for the lock ends well before the deadline: then the step takes the
            # lock over and goes on, rather than the caller hearing the apology.
            opened = await self.calls.open(
                call_sid,
                fingerprint,
                use_cache=hook.cache,
                wait_seconds=self._settings.webhook_deadline_seconds * 0.6,
            )
            progress.opened = opened
        except Exception:
            log.exception("webhook %s: state of call %s unreadable", hook.kind, call_sid)
            return route.on_failure(None, base_url).encode()
        if opened.cached is not None:
            await self.calls.release(opened)
            return opened.cached  # the carrier retried a webhook we already answered
        try:
            state = opened.state
            fresh = state is None
            if state is None:
                state = self._new_state(callback)
            progress.state = state
            state.seq += 1
            webhook = Webhook(
                state=state,
                base_url=base_url,
                fingerprint=fingerprint,
                speaker=Speaker(
                    prompts=self.config.prompts, language=state.language, calm=state.upset
                ),
                now=self.clock(),
                flows=await self.config.flows_for(state),
            )
            handler = route.unknown if fresh and hook.kind != "voice" else route.handler
            await handler(webhook, callback, query)
            # Encoded once: the same bytes are cached for a retry and sent.
            reply = twiml.render(webhook.response).encode()
            await self.calls.close(
                opened,
                state,
                events=self.events,
                new_events=webhook.events,
                reply=reply if hook.cache else None,
                fingerprint=fingerprint,
            )
            return reply
        except Exception:
            log.exception("webhook %s failed for call %s", hook.kind, call_sid)
            with contextlib.suppress(Exception):
                await self.calls.release(opened)
            return route.on_failure(state, base_url).encode()

    def failed(self, hook: Hook, base_url: str) -> str:
        """What the caller hears when the webhook failed before the switchboard saw it."""
        return self.routes[hook.kind].on_failure(None, base_url)

    def _new_state(self, callback: CarrierCallback) -> CallState:
        return CallState(
            call_sid=callback.CallSid,
            caller=callback.From,
            called=callback.To,
            flow=MAIN_FLOW,
            started_at=self.clock(),
        )

    def apology(self, state: CallState | None, base_url: str) -> str:
        """An apology in the caller's language, then the general queue: never dead air."""
        language = state.language if state else Language.EN_US
        response = VoiceResponse()
        try:
            speaker = Speaker(prompts=self.config.prompts, language=language)
            speaker.say(response, engine.Say("error_apology"))
        except Exception:  # even the prompts are unreadable: say it plainly
            log.exception("error prompt unavailable")
            words = last_words(language)  # linted like any prompt (ivr prompts lint)
            response.say(words.text, voice=words.voice, language=words.language)
        sid = state.call_sid if state else ""
        twiml.enqueue(
            response,
            queue=GENERAL_QUEUE,
            wait_url=f"{base_url}/twilio/queue/wait",
            url=f"{base_url}/twilio/queue/done" + (f"?sid={sid}" if sid else ""),
        )
        return twiml.render(response)
