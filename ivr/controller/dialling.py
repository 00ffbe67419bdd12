"""The agent leg: how a `<Dial>` to an agent (or a transfer outside the hotline) ended."""

from __future__ import annotations

import logging

from ivr.calls.state import Phase
from ivr.controller.connect import Connector, goodbye
from ivr.controller.ports import AgentLegs
from ivr.controller.survey import Survey
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.ids import Topic
from ivr.routing.models import DialStatus
from ivr.telephony.schemas import CarrierCallback, DialResult, HookQuery

log = logging.getLogger(__name__)

_CONNECTED: frozenset[str] = frozenset({"completed", "answered"})
_DIAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "answered", "busy", "no-answer", "failed", "canceled"}
)


class Dialling:
    """After the agent leg: a survey when they talked, another agent when not."""

    def __init__(self, *, legs: AgentLegs, connector: Connector, survey: Survey) -> None:
        self._legs = legs
        self._connector = connector
        self._survey = survey

    async def done(self, webhook: Webhook, callback: DialResult, query: HookQuery) -> None:
        """The `<Dial>` to an agent ended: a survey when they talked, another agent when not."""
        state = webhook.state
        raw = callback.DialCallStatus
        status: DialStatus = raw if raw in _DIAL_STATUSES else "failed"  # type: ignore[assignment]
        talk = callback.DialCallDuration
        agent_id = state.agent_id
        if state.phase is not Phase.DIALING or agent_id is None:
            goodbye(webhook)  # a transfer ended, or a stale action
            return
        await self._legs.dial_result(state.call_sid, agent_id, status, talk_seconds=talk)
        webhook.log("agent.result", {"agent_id": agent_id, "dial_status": status, "duration": talk})
        if status in _CONNECTED:
            state.connected_at = webhook.now - talk
            await self._survey.start(webhook)
            return
        state.tried_agents.append(agent_id)
        state.agent_id = None
        state.agent_endpoint = None
        state.phase = Phase.MENU
        webhook.speaker.say(webhook.response, engine.Say("agent_retry"))
        await self._connector.route(webhook, topic=state.topic or Topic.GENERAL, queue=None)

    async def transfer_done(self, webhook: Webhook, callback: DialResult, query: HookQuery) -> None:
        """A transfer outside the hotline ended: goodbye."""
        webhook.log("agent.result", {"agent_id": None, "dial_status": callback.DialCallStatus})
        goodbye(webhook)

    async def unknown(self, webhook: Webhook, callback: CarrierCallback, query: HookQuery) -> None:
        """A Dial action for a call we don't know: logged, and a polite goodbye."""
        log.warning("dial action for unknown call %s", webhook.state.call_sid)
        webhook.log("error", {"where": "dial", "message": "dial action for an unknown call"})
        goodbye(webhook)
