"""Putting a caller through: ask routing, then dial the agent, queue, or book a callback.

Routing itself (choosing an agent atomically, ordering waiting callers) lives
in ivr.routing; this is what the call does with its decision.
"""

from __future__ import annotations

from ivr.calls.state import Phase
from ivr.controller.callbacks import Callbacks, routing_request
from ivr.controller.listening import Listener
from ivr.controller.ports import CallerRouting
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.ids import Topic
from ivr.routing.models import DecisionKind, RoutingDecision
from ivr.telephony import twiml
from ivr.tickets.models import ticket_id

GENERAL_QUEUE = "general"
MAX_ROUTES = 4  # agents tried for one call before we offer a callback instead


class Connector:
    """Routes a caller and acts on the decision."""

    def __init__(self, *, routing: CallerRouting, callbacks: Callbacks, listener: Listener) -> None:
        self._routing = routing
        self._callbacks = callbacks
        self._listener = listener

    async def route(self, webhook: Webhook, *, topic: Topic, queue: str | None) -> None:
        """Ask routing for an agent and act on its decision."""
        state = webhook.state
        state.topic = topic
        self._listener.settle_emotion(webhook)
        if state.queue_entered_at is None:
            state.queue_entered_at = webhook.now
        state.route_count += 1
        if state.route_count > MAX_ROUTES:
            await self._callbacks.book(webhook, topic=topic)
            goodbye(webhook)
            return
        # Routing writes the `routing.decided` event itself (its one writer), with the
        # topic and emotion it was asked about.
        decision = await self._routing.route(routing_request(state, now=webhook.now))
        await self._act(webhook, decision, queue=queue)

    async def _act(self, webhook: Webhook, decision: RoutingDecision, *, queue: str | None) -> None:
        state = webhook.state
        if decision.kind is DecisionKind.CONNECT and decision.agent is not None:
            state.agent_id = decision.agent.id
            state.agent_endpoint = decision.agent.endpoint
            dial_agent(webhook)
        elif decision.kind is DecisionKind.QUEUE:
            state.phase = Phase.QUEUED
            state.queue = decision.queue or queue or GENERAL_QUEUE
            webhook.log(
                "queue.joined",
                {
                    "queue": state.queue,
                    "position": decision.position,
                    "priority": decision.priority,
                },
            )
            twiml.enqueue(
                webhook.response,
                queue=state.queue,
                wait_url=webhook.url("/twilio/queue/wait"),
                url=webhook.url("/twilio/queue/done"),
            )
        else:
            await self._callbacks.book(webhook, topic=state.topic or Topic.GENERAL)
            goodbye(webhook)


def dial_agent(webhook: Webhook) -> None:
    """`<Dial>` the agent routing chose for this call."""
    state = webhook.state
    assert state.agent_id is not None
    state.phase = Phase.DIALING
    webhook.speaker.say(webhook.response, engine.Say("connecting"))
    endpoint = state.agent_endpoint or "client"
    webhook.log("agent.dialed", {"agent_id": state.agent_id, "endpoint": endpoint})
    twiml.dial(
        webhook.response,
        endpoint=endpoint,
        agent_id=state.agent_id,
        url=webhook.url("/twilio/dial/done"),
        ticket=ticket_id(state.call_sid),
    )


def goodbye(webhook: Webhook) -> None:
    """Say goodbye and hang up."""
    webhook.speaker.say(webhook.response, engine.Say("goodbye"))
    webhook.response.hangup()
    webhook.state.phase = Phase.ENDED
