"""Words heard with low confidence at a describe step, read back for the caller to confirm.

A take whose recogniser confidence is below its record node's `confirm_below`
is not acted on at once: the caller hears what we understood, redacted (a card
number is never read back), and presses 1 (or says yes) to go on with it, or 2
to say it again. A second doubtful take goes on with its own reading unasked,
so the caller is never asked in circles. Silence or another key is asked about
once more; then the words are taken as heard, and the caller is told so. Every
doubtful take ends in one `speech.confirmed` event (this class is its writer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal

from ivr.calls.state import Take
from ivr.controller.listening import Listener
from ivr.controller.webhook import Webhook
from ivr.flows import engine
from ivr.flows.model import RecordNode
from ivr.speech.confirm import HINTS, answer_of, read_back
from ivr.speech.gather import doubtful
from ivr.telephony import twiml
from ivr.telephony.schemas import GatherResult, HookQuery

ASKS = 2  # the question is put at most twice (after silence or another key, once more)
ANSWER_SECONDS = 5  # of silence after the question that count as no answer

# How a doubtful take ended: the caller said yes, asked to say it again, did not answer
# (taken as heard), or it was already their second take (gone on with, unasked).
Result = Literal["confirmed", "asked_again", "assumed", "unconfirmed"]


class Confirmation:
    """Reads doubtful words back to the caller and acts on their answer."""

    def __init__(
        self,
        *,
        listener: Listener,
        resume: Callable[[Webhook], Awaitable[None]],
        perform: Callable[[Webhook, engine.Turn], Awaitable[None]],
    ) -> None:
        self._listener = listener
        self._resume = resume  # the flow goes on (FlowRunner.resume)
        self._perform = perform  # actions the flow would take (FlowRunner.perform)

    def hear_or_ask(self, webhook: Webhook, take: Take) -> bool:
        """Hear `take` (the flow then goes on), or ask the caller to confirm it first.

        True when the caller is being asked: the webhook's answer is the question.
        """
        state = webhook.state
        node = webhook.flows[take.flow].nodes.get(take.node)
        retake, state.retakes = state.retakes > 0, 0
        if not _doubtful(node, take):
            self._hear(webhook, take)
            return False
        if retake:
            # Asked once already at this step: go on with these words, thanking the caller.
            self._settle(webhook, take, "unconfirmed")
            webhook.speaker.say(webhook.response, engine.Say("heard_second_take"))
            self._hear(webhook, take)
            return False
        state.unconfirmed = take
        self._ask(webhook, take)
        return True

    async def answered(self, webhook: Webhook, callback: GatherResult, query: HookQuery) -> None:
        """The caller's answer to "We heard: ... If that is right, press 1 ..."."""
        state = webhook.state
        take = state.unconfirmed
        if take is None or query.node != take.node or query.flow != take.flow:
            await self._resume(webhook)  # a stale request: play where the call really is
            return
        digits, speech = callback.Digits.strip(), callback.SpeechResult.strip()
        said = {"by": "keys", "input": digits} if digits else {"by": "speech", "input": speech}
        match answer_of(digits, speech):
            case "yes":
                self._settle(webhook, take, "confirmed", **said)
                self._hear(webhook, take)
                await self._resume(webhook)
            case "again":
                self._settle(webhook, take, "asked_again", **said)
                await self._record_again(webhook, take)
            case None if take.asked < ASKS:
                self._ask(webhook, take, lead="no_match" if digits or speech else "no_input")
            case None:
                self._settle(webhook, take, "assumed", **said)
                webhook.speaker.say(webhook.response, engine.Say("heard_assumed"))
                self._hear(webhook, take)
                await self._resume(webhook)

    def _ask(self, webhook: Webhook, take: Take, *, lead: str | None = None) -> None:
        speaker = webhook.speaker
        words = read_back(take.text, masked=speaker.text("heard_masked"))
        prompts = tuple(engine.Say(p) for p in (lead,) if p)
        prompts += (engine.Say("heard_confirm", {"words": words}),)
        question = engine.Gather(
            take.flow,
            take.node,
            "dtmf speech",
            1,
            ANSWER_SECONDS,
            HINTS.get(webhook.state.language, ()),
            prompts=prompts,
        )
        url = webhook.url("/twilio/confirm", flow=take.flow, node=take.node)
        twiml.gather(webhook.response, speaker, question, url=url, timeout_url=url + "&silence=1")
        take.asked += 1

    async def _record_again(self, webhook: Webhook, take: Take) -> None:
        """Back to the record node for one more take; its words are not asked about."""
        state = webhook.state
        node = webhook.flows[take.flow].nodes.get(take.node)
        state.unconfirmed = None
        if not isinstance(node, RecordNode):  # the flow changed under the call: go on
            await self._resume(webhook)
            return
        state.flow, state.node, state.retakes = take.flow, take.node, 1
        again = engine.Record(take.flow, take.node, node.max_length, node.timeout)
        await self._perform(webhook, engine.Turn(actions=[engine.Say("heard_again"), again]))

    def _hear(self, webhook: Webhook, take: Take) -> None:
        webhook.state.unconfirmed = None
        self._listener.hear(
            webhook,
            take.text,
            source=take.source,
            node=take.node,
            voice=take.voice,
            reading=take.reading,
            number=take.number,
        )

    def _settle(self, webhook: Webhook, take: Take, result: Result, **said: str) -> None:
        webhook.log(
            "speech.confirmed",
            {
                "node": take.node,
                "utterance": take.number,
                "confidence": take.confidence,
                "result": result,
                "confirmed": result in ("confirmed", "assumed"),
                "asked": take.asked,
                **said,
            },
        )


def _doubtful(node: object, take: Take) -> bool:
    """Whether a describe step's words were heard too unsurely to act on unasked."""
    if not isinstance(node, RecordNode) or node.purpose != "describe":
        return False
    return doubtful(take.confidence, below=node.confirm_below)
