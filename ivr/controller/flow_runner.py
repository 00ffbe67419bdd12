"""Driving the flow: a call comes in, the caller answers, the engine's turn is performed.

The flow engine (ivr.flows.engine) is pure: it returns actions. This performs
them: TwiML for what the caller hears, and the I/O some actions need (routing,
a callback, a recording our pipeline or the carrier's recogniser hears).
"""

from __future__ import annotations

import datetime as dt
import logging

from ivr.calls.state import Phase
from ivr.controller.callbacks import Callbacks
from ivr.controller.connect import Connector
from ivr.controller.listening import Listener
from ivr.controller.ports import FlowSource, HistoryPort, TranscriptionPort
from ivr.controller.recording import ask_carrier
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.telephony import twiml
from ivr.telephony.schemas import CarrierCallback, GatherResult, HookQuery

log = logging.getLogger(__name__)

MAX_CHAINED_TURNS = 4  # a callback booked mid-flow resumes it, at most this deep


class FlowRunner:
    """Starts, answers and resumes the call's flow, and performs each turn."""

    def __init__(
        self,
        *,
        config: FlowSource,
        history: HistoryPort,
        listener: Listener,
        connector: Connector,
        callbacks: Callbacks,
        transcription: TranscriptionPort,
    ) -> None:
        self._config = config
        self._history = history
        self._listener = listener
        self._connector = connector
        self._callbacks = callbacks
        self._transcription = transcription

    async def incoming(self, webhook: Webhook, callback: CarrierCallback, query: HookQuery) -> None:
        """A call comes in: start the main flow."""
        state = webhook.state
        webhook.log(
            "call.started",
            {"caller": state.caller, "called": state.called, "direction": callback.Direction},
        )
        try:
            known = await self._history.history(state.caller)
            state.repeat_caller = known.repeat_caller_24h
            state.open_complaint = known.open_complaint
            state.last_agent_id = known.last_agent_id
        except Exception:  # history is a nicety; the call goes on without it
            log.exception("caller history unavailable for %s", state.call_sid)
        await self.start(webhook)

    async def restart(self, webhook: Webhook, callback: CarrierCallback, query: HookQuery) -> None:
        """A webhook for a call we don't know (expired, or never started): start again politely."""
        webhook.speaker.say(webhook.response, engine.Say("restart"))
        await self.incoming(webhook, callback, query)

    async def gathered(self, webhook: Webhook, callback: GatherResult, query: HookQuery) -> None:
        """The caller answered (or not) at a menu, language choice or survey."""
        state = webhook.state
        if query.flow != state.flow or query.node != state.node:
            # A stale request (the call has moved on): play where the call really is.
            await self.perform(webhook, engine.gather_again(webhook.flows, state))
            return
        given = self._caller_input(webhook, callback)
        await self.perform(webhook, engine.answer(webhook.flows, state, given, now=_at(webhook)))

    def _caller_input(self, webhook: Webhook, callback: GatherResult) -> engine.CallerInput:
        digits = callback.Digits.strip()
        speech = callback.SpeechResult.strip()
        if digits:
            return engine.KeyPresses(digits[:32])
        if speech:
            heard = self._listener.hear(webhook, speech, source="menu", node=webhook.state.node)
            confidence = callback.Confidence or 0.0
            return engine.Speech(speech, confidence, heard.reading, self._listener.min_confidence)
        return engine.Silence()

    async def start(self, webhook: Webhook) -> None:
        """Begin the call's flow (`state.flow`) at its start."""
        await self.perform(webhook, engine.start(webhook.flows, webhook.state, now=_at(webhook)))

    async def resume(self, webhook: Webhook) -> None:
        """Go on in the flow from the call's current node."""
        await self.perform(webhook, engine.resume(webhook.flows, webhook.state, now=_at(webhook)))

    async def perform(self, webhook: Webhook, turn: engine.Turn, *, depth: int = 0) -> None:
        """Render `turn` into the webhook's TwiML, doing the I/O its actions need."""
        for kind, data in turn.events:
            webhook.log(kind, data)
        state = webhook.state
        # The turn may have changed the language (the language menu) or the mood.
        webhook.speaker.language = state.language
        webhook.speaker.calm = state.upset
        for action in turn.actions:
            match action:
                case engine.Say():
                    webhook.speaker.say(webhook.response, action)
                case engine.Gather():
                    url = webhook.url("/twilio/gather", flow=action.flow, node=action.node)
                    twiml.gather(
                        webhook.response,
                        webhook.speaker,
                        action,
                        url=url,
                        timeout_url=url + "&silence=1",
                    )
                case engine.Record() if self._carrier_hears(webhook, action):
                    ask_carrier(webhook, action)
                case engine.Record():
                    url = webhook.url("/twilio/record", flow=action.flow, node=action.node)
                    twiml.record(webhook.response, action, url=url)
                case engine.Route():
                    await self._connector.route(webhook, topic=action.topic, queue=action.queue)
                case engine.Transfer():
                    webhook.speaker.say(webhook.response, engine.Say("transfer_connecting"))
                    webhook.log("agent.dialed", {"agent_id": None, "endpoint": action.number})
                    twiml.transfer(
                        webhook.response,
                        number=action.number,
                        url=webhook.url("/twilio/transfer/done"),
                    )
                    state.phase = Phase.DIALING
                case engine.BookCallback():
                    await self._callbacks.book(webhook, topic=action.topic)
                    if depth < MAX_CHAINED_TURNS:
                        turn = engine.resume(webhook.flows, state, now=_at(webhook))
                        await self.perform(webhook, turn, depth=depth + 1)
                case engine.Hangup():
                    webhook.response.hangup()
                    state.phase = Phase.ENDED

    def _carrier_hears(self, webhook: Webhook, action: engine.Record) -> bool:
        """Whether to let the carrier recognise a description our engine cannot."""
        state = webhook.state
        node = webhook.flows[action.flow].nodes.get(action.node)
        describing = isinstance(node, RecordNode) and node.purpose == "describe"
        return describing and not self._transcription.hears(state.language)


def _at(webhook: Webhook) -> dt.datetime:
    """The webhook's time on the service's clock (ivr.clock), for the flow's hours."""
    return dt.datetime.fromtimestamp(webhook.now, dt.UTC)
