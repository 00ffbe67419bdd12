"""A take that held nothing (no recording, or no speech in it): asked once more, then on.

Shared by the flow's record nodes (a description, a voicemail) and the queue's
voicemail, so none goes on as if something were heard. Empty and silent takes
count together: an empty take then a silent one is two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from ivr.calls.state import CallState
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode

TAKES_BEFORE_MOVING_ON = 2


def once_more(state: CallState) -> bool:
    """Count a take that held nothing: True when the caller is to be asked once more,
    False after the second (and the count starts again)."""
    state.empty_takes += 1
    if state.empty_takes < TAKES_BEFORE_MOVING_ON:
        return True
    state.empty_takes = 0
    return False


async def retake(
    webhook: Webhook,
    node: RecordNode,
    *,
    prompt: str,
    perform: Callable[[Webhook, engine.Turn], Awaitable[None]],
    resume: Callable[[Webhook], Awaitable[None]],
) -> None:
    """The record node at `state.node` once more after `prompt`; after the second take that
    held nothing, on to the node's `on_empty` (an offer of a callback), else `next`."""
    state = webhook.state
    if once_more(state):
        again = engine.Record(state.flow, state.node, node.max_length, node.timeout)
        await perform(webhook, engine.Turn(actions=[engine.Say(prompt), again]))
        return
    state.node, state.retakes = node.on_empty or node.next, 0
    await resume(webhook)
