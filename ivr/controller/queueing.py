"""A caller waiting in a queue: the wait loop's news, their keys, how they leave it."""

from __future__ import annotations

import logging

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.state import CallState, Phase
from ivr.controller.call_status import FINAL_STATUSES, status_order
from ivr.controller.callbacks import Callbacks, spoken_minutes
from ivr.controller.connect import Connector, dial_agent, goodbye
from ivr.controller.ports import FlowSource, WaitingCallers
from ivr.controller.voicemail import Voicemail, record_voicemail
from ivr.controller.webhook import Webhook
from ivr.errors import NotFoundError
from ivr.flows import engine
from ivr.ids import Language, Topic
from ivr.routing.models import DecisionKind
from ivr.telephony import twiml
from ivr.telephony.schemas import (
    CallStatusCallback,
    CarrierCallback,
    GatherResult,
    HookQuery,
    QueueResult,
    QueueWait,
)

log = logging.getLogger(__name__)

QUEUE_KEY_TIMEOUT = 8  # seconds each wait round listens for "1" (also the hold between news)


class Queueing:
    """The wait loop (`<Enqueue waitUrl>`), its keys, and the caller leaving the queue."""

    def __init__(
        self,
        *,
        waiting: WaitingCallers,
        connector: Connector,
        callbacks: Callbacks,
        voicemail: Voicemail,
        config: FlowSource,
    ) -> None:
        self._waiting = waiting
        self._connector = connector
        self._callbacks = callbacks
        self._voicemail = voicemail
        self._config = config

    async def wait(self, webhook: Webhook, callback: QueueWait, query: HookQuery) -> None:
        """One round of the wait loop: news of the caller's place, and the callback offer."""
        state = webhook.state
        if state.phase is not Phase.QUEUED:
            webhook.response.leave()  # they were already given an agent or made a choice
            return
        try:
            decision = await self._waiting.poll(state.call_sid)
        except NotFoundError:
            # Routing lost track of the caller (expired): leave, and be routed afresh.
            state.phase = Phase.MENU
            webhook.response.leave()
            return
        state.queue_polls += 1
        if decision.kind is DecisionKind.CONNECT and decision.agent is not None:
            state.agent_id = decision.agent.id
            state.agent_endpoint = decision.agent.endpoint
            state.phase = Phase.DIALING
            webhook.response.leave()
            return
        if decision.kind is DecisionKind.CALLBACK:
            url = webhook.url("/twilio/queue/choice")
            gather = webhook.response.gather(
                input="dtmf", num_digits=1, action=url, method="POST", timeout=QUEUE_KEY_TIMEOUT
            )
            webhook.speaker.say(gather, engine.Say("queue_max_wait"))
            webhook.response.redirect(url + "?silence=1", method="POST")
            return
        position = decision.position or callback.QueuePosition or 1
        minutes = spoken_minutes(decision.expected_wait_seconds or 60.0, state.language)
        webhook.speaker.say(
            webhook.response,
            engine.Say("queue_position", {"position": position, "minutes": minutes}),
        )
        gather = webhook.response.gather(
            input="dtmf",
            num_digits=1,
            action=webhook.url("/twilio/queue/key"),
            method="POST",
            timeout=QUEUE_KEY_TIMEOUT,
        )
        webhook.speaker.say(gather, engine.Say("queue_callback_offer"))
        webhook.speaker.say(webhook.response, engine.Say("queue_hold"))

    async def key(self, webhook: Webhook, callback: GatherResult, query: HookQuery) -> None:
        """A key pressed while waiting: 1 asks for a callback."""
        if webhook.state.phase is Phase.QUEUED and callback.Digits.startswith("1"):
            webhook.state.phase = Phase.CALLBACK
            webhook.response.leave()
            return
        webhook.response.pause(length=1)  # back to the wait loop

    async def choice(self, webhook: Webhook, callback: GatherResult, query: HookQuery) -> None:
        """After the longest wait we allow: 1 a callback, 2 a voicemail (silence: a callback)."""
        if webhook.state.phase is Phase.QUEUED:
            two = callback.Digits.startswith("2")
            webhook.state.phase = Phase.VOICEMAIL if two else Phase.CALLBACK
        webhook.response.leave()

    async def done(self, webhook: Webhook, callback: QueueResult, query: HookQuery) -> None:
        """The caller left the queue: connect them, book what they chose, or note they hung up."""
        state = webhook.state
        result = callback.QueueResult
        webhook.log(
            "queue.left",
            {"queue": state.queue, "reason": result or "leave", "wait_seconds": callback.QueueTime},
        )
        if result == "hangup":
            await self._waiting.abandon(state.call_sid)
            state.phase = Phase.ENDED
            return
        if state.phase is Phase.DIALING and state.agent_id:
            dial_agent(webhook)
        elif state.phase is Phase.CALLBACK:
            await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL)
            goodbye(webhook)
        elif state.phase is Phase.VOICEMAIL:
            webhook.speaker.say(webhook.response, engine.Say("voicemail_prompt"))
            record_voicemail(webhook)
        else:
            # queue-full, error, or a call that never was queued: take them on another way.
            await self._waiting.abandon(state.call_sid)
            state.phase = Phase.MENU
            await self._connector.route(webhook, topic=state.topic or Topic.GENERAL, queue=None)

    async def call_ended(
        self, webhook: Webhook, callback: CallStatusCallback, query: HookQuery
    ) -> None:
        """The carrier's status callback: the call is over when its status is final.

        Callbacks may arrive out of order: one older than the latest heard (by
        SequenceNumber, then Timestamp) changes nothing, nor does one after the final
        status; `ringing` or `in-progress` leaves a waiting caller in the queue.
        """
        state = webhook.state
        order = status_order(callback.SequenceNumber, callback.Timestamp)
        if state.carrier_status in FINAL_STATUSES or order < state.status_order:
            return  # the carrier said the call ended already, or this callback is stale
        state.status_order = order
        state.carrier_status = callback.CallStatus
        if callback.CallStatus not in FINAL_STATUSES:
            return
        if state.phase is Phase.QUEUED:
            await self._waiting.abandon(state.call_sid)
            webhook.log(
                "queue.left", {"queue": state.queue, "reason": "hangup", "wait_seconds": None}
            )
        # A message being checked for speech when the caller hung up is kept all the same.
        await self._voicemail.caller_left(webhook)
        webhook.log(
            "call.ended", {"status": callback.CallStatus, "duration": callback.CallDuration}
        )
        state.phase = Phase.ENDED

    async def leave(self, webhook: Webhook, callback: CarrierCallback, query: HookQuery) -> None:
        """A waiting caller we have no state for (it expired, or Redis lost it): out of the
        queue, whose action then starts the flow again for them, rather than silent loops."""
        log.warning("queue step for unknown call %s: leaving the queue", webhook.state.call_sid)
        webhook.response.leave()

    def hold(self, state: CallState | None, base_url: str) -> str:
        """What a waiting caller hears when something failed inside the wait loop."""
        response = VoiceResponse()
        try:
            speaker = twiml.Speaker(
                prompts=self._config.prompts,
                language=state.language if state else Language.EN_US,
            )
            speaker.say(response, engine.Say("queue_hold"))
        except Exception:
            log.exception("hold prompt unavailable")
        response.pause(length=5)
        return twiml.render(response)
