"""The short satisfaction survey (1-5) every call that reached an agent ends with."""

from __future__ import annotations

from ivr.calls.state import Phase
from ivr.controller.flow_runner import FlowRunner
from ivr.controller.ports import FlowSource
from ivr.controller.webhook import Webhook
from ivr.flows import engine

SURVEY_FLOW = "survey"


class Survey:
    """Starts the survey flow once the agent leg ended."""

    def __init__(self, *, config: FlowSource, runner: FlowRunner) -> None:
        self._config = config
        self._runner = runner

    async def start(self, webhook: Webhook) -> None:
        """The agent leg ended: a short satisfaction survey, then goodbye."""
        state = webhook.state
        state.phase = Phase.SURVEY
        if SURVEY_FLOW not in self._config.flows:
            webhook.speaker.say(webhook.response, engine.Say("goodbye"))
            webhook.response.hangup()
            return
        state.flow = SURVEY_FLOW
        state.stack.clear()
        await self._runner.start(webhook)
