"""The switchboard: answers each carrier webhook of a call with TwiML.

It loads the call's state, asks the flow engine what comes next, performs the
I/O the engine asks for (understanding, transcription, routing, callbacks)
and renders the rest. Whatever fails inside, the caller hears an apology in
their language and is put through to the general queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.state import CallState, Phase
from ivr.calls.store import CallStore, OpenStep
from ivr.config import Settings
from ivr.events import EventLog
from ivr.flows import engine
from ivr.flows.model import HoursNode, RecordNode
from ivr.ids import Language, Topic
from ivr.nlu.models import Behaviour
from ivr.speech.models import VoiceCues
from ivr.telephony import connect, recording, twiml
from ivr.telephony.services import (
    FlowSource,
    HistoryPort,
    RouterPort,
    TranscriptionPort,
    UnderstandingPort,
)
from ivr.telephony.step import Step
from ivr.telephony.twiml import Speaker

log = logging.getLogger(__name__)

MAIN_FLOW = "main"
SURVEY_FLOW = "survey"
GENERAL_QUEUE = "general"
Handler = Callable[[Step, Mapping[str, str]], Awaitable[None]]


@dataclass
class _Progress:
    """How far a webhook got, for its answer when the deadline cuts it short."""

    opened: OpenStep | None = None
    state: CallState | None = None


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
    ) -> None:
        self.settings = settings
        self.calls = calls
        self.config = config
        self.understanding = understanding
        self.router = router
        self.transcription = transcription
        self.history = history
        self.events = events
        self._releasing: set[asyncio.Task[None]] = set()

    # ---- the webhook frame -------------------------------------------------------------

    async def answer(
        self,
        kind: str,
        params: Mapping[str, str],
        *,
        base_url: str,
        url: str,
        handler: Handler,
        unknown: Handler | None = None,
        fallback: Callable[[CallState | None, str], str] | None = None,
        cache: bool = True,
    ) -> str:
        """Run `handler` for one webhook under the call's lock; always valid TwiML.

        `unknown` answers a webhook for a call we have no state for (default: start
        the flow again politely); `fallback` answers when anything fails inside
        (default: an apology and the general queue). `cache=False` for polls, whose
        identical requests are not retries.
        """
        fallback = fallback or self.apology
        progress = _Progress()
        try:
            # A hung Redis (or anything else hung) must not hold the caller in silence
            # until the carrier gives up: past the deadline they hear the apology.
            async with asyncio.timeout(self.settings.webhook_deadline_seconds):
                return await self._answer(
                    kind,
                    params,
                    base_url=base_url,
                    url=url,
                    handler=handler,
                    unknown=unknown,
                    fallback=fallback,
                    cache=cache,
                    progress=progress,
                )
        except TimeoutError:
            log.error(
                "webhook %s for call %s passed its %.1fs deadline; answered with the fallback",
                kind,
                params.get("CallSid", "?"),
                self.settings.webhook_deadline_seconds,
            )
            if progress.opened is not None:  # free the call's lock without waiting for it
                self._release_later(progress.opened)
            return fallback(progress.state, base_url)

    def _release_later(self, opened: OpenStep) -> None:
        async def release() -> None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.settings.webhook_deadline_seconds):
                    await self.calls.release(opened)

        task = asyncio.get_running_loop().create_task(release())
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _answer(
        self,
        kind: str,
        params: Mapping[str, str],
        *,
        base_url: str,
        url: str,
        handler: Handler,
        unknown: Handler | None,
        fallback: Callable[[CallState | None, str], str],
        cache: bool,
        progress: _Progress,
    ) -> str:
        call_sid = params.get("CallSid", "")
        fingerprint = _fingerprint(url, params)
        if not call_sid:
            log.warning("%s webhook without CallSid", kind)
            return fallback(None, base_url)
        state: CallState | None = None
        try:
            # Waiting for the lock ends well before the deadline: then the step goes on
            # without it, rather than the caller hearing the apology.
            opened = await self.calls.open(
                call_sid,
                fingerprint,
                use_cache=cache,
                wait_seconds=self.settings.webhook_deadline_seconds * 0.6,
            )
            progress.opened = opened
        except Exception:
            log.exception("webhook %s: state of call %s unreadable", kind, call_sid)
            return fallback(None, base_url)
        if opened.cached is not None:
            await self.calls.release(opened)
            return opened.cached  # the carrier retried a webhook we already answered
        try:
            state = opened.state
            fresh = state is None
            if state is None:
                state = self._new_state(call_sid, params)
            progress.state = state
            state.seq += 1
            step = Step(
                state=state,
                base_url=base_url,
                fingerprint=fingerprint,
                speaker=self._speaker(state),
            )
            if fresh and kind != "voice":
                await (unknown or self._restart)(step, params)
            else:
                await handler(step, params)
            reply = twiml.render(step.response)
            await self.calls.close(
                opened,
                state,
                events=self.events,
                new_events=step.events,
                reply=reply if cache else None,
                fingerprint=fingerprint,
            )
            return reply
        except Exception:
            log.exception("webhook %s failed for call %s", kind, call_sid)
            with contextlib.suppress(Exception):
                await self.calls.release(opened)
            return fallback(state, base_url)

    def _new_state(self, call_sid: str, params: Mapping[str, str]) -> CallState:
        return CallState(
            call_sid=call_sid,
            caller=params.get("From", ""),
            called=params.get("To", ""),
            flow=MAIN_FLOW,
            started_at=_now(),
        )

    def _speaker(self, state: CallState) -> Speaker:
        return Speaker(prompts=self.config.prompts, language=state.language, calm=state.upset)

    def apology(self, state: CallState | None, base_url: str) -> str:
        """An apology in the caller's language, then the general queue: never dead air."""
        language = state.language if state else Language.EN_US
        response = VoiceResponse()
        try:
            speaker = Speaker(prompts=self.config.prompts, language=language)
            speaker.say(response, engine.Say("error_apology"))
        except Exception:  # even the prompts are unreadable: say it plainly
            log.exception("error prompt unavailable")
            response.say("We are connecting you to an agent.", voice="alice", language="en-US")
        sid = state.call_sid if state else ""
        twiml.enqueue(
            response,
            queue=GENERAL_QUEUE,
            wait_url=f"{base_url}/twilio/queue/wait",
            url=f"{base_url}/twilio/queue/done" + (f"?sid={sid}" if sid else ""),
        )
        return twiml.render(response)

    # ---- handlers ----------------------------------------------------------------------

    async def incoming(self, step: Step, params: Mapping[str, str]) -> None:
        """A call comes in: start the main flow."""
        state = step.state
        step.log(
            "call.started",
            {
                "caller": state.caller,
                "called": state.called,
                "direction": params.get("Direction", "inbound"),
            },
        )
        try:
            known = await self.history.history(state.caller)
            state.repeat_caller = known.repeat_caller_24h
            state.open_complaint = known.open_complaint
            state.last_agent_id = known.last_agent_id
        except Exception:  # history is a nicety; the call goes on without it
            log.exception("caller history unavailable for %s", state.call_sid)
        await self.perform(step, engine.start(self.config.flows, state, now=_utc()))

    async def gathered(self, step: Step, params: Mapping[str, str]) -> None:
        """The caller answered (or not) at a menu, language choice or survey."""
        state = step.state
        if params.get("flow") != state.flow or params.get("node") != state.node:
            # A stale request (the call has moved on): play where the call really is.
            await self.perform(step, engine.gather_again(self.config.flows, state))
            return
        given = self._caller_input(state, params)
        await self.perform(step, engine.answer(self.config.flows, state, given, now=_utc()))

    def _caller_input(self, state: CallState, params: Mapping[str, str]) -> engine.CallerInput:
        digits = params.get("Digits", "").strip()
        speech = params.get("SpeechResult", "").strip()
        if digits:
            return engine.Keys(digits[:32])
        if speech:
            confidence = _float(params.get("Confidence"), default=0.0)
            reading = self.understanding.read(
                speech, state.language, behaviour=self.behaviour(state)
            )
            return engine.Speech(speech, confidence, reading, self.understanding.min_confidence)
        return engine.Silence()

    async def resume(self, step: Step) -> None:
        """Go on in the flow from the call's current node."""
        await self.perform(step, engine.resume(self.config.flows, step.state, now=_utc()))

    async def _restart(self, step: Step, params: Mapping[str, str]) -> None:
        """A step for a call we don't know (expired, or never started): start again politely."""
        step.speaker.say(step.response, engine.Say("restart"))
        await self.incoming(step, params)

    # ---- performing the engine's actions -------------------------------------------------

    async def perform(self, step: Step, turn: engine.Turn, *, depth: int = 0) -> None:
        """Render `turn` into the step's TwiML, doing the I/O its actions need."""
        for kind, data in turn.events:
            step.log(kind, data)
        state = step.state
        # The turn may have changed the language (the language menu) or the mood.
        step.speaker.language = state.language
        step.speaker.calm = state.upset
        for action in turn.actions:
            match action:
                case engine.Say():
                    step.speaker.say(step.response, action)
                case engine.Gather():
                    url = step.url("/twilio/gather", flow=action.flow, node=action.node)
                    twiml.gather(
                        step.response, step.speaker, action, url=url, timeout_url=url + "&silence=1"
                    )
                case engine.Record() if self._carrier_hears(state, action):
                    recording.ask_carrier(step, action)
                case engine.Record():
                    url = step.url("/twilio/record", flow=action.flow, node=action.node)
                    twiml.record(step.response, action, url=url)
                case engine.Route():
                    await connect.route(self, step, topic=action.topic, queue=action.queue)
                case engine.Transfer():
                    step.speaker.say(step.response, engine.Say("transfer_connecting"))
                    step.log("agent.dialed", {"agent_id": None, "endpoint": action.number})
                    twiml.transfer(
                        step.response, number=action.number, url=step.url("/twilio/transfer/done")
                    )
                    state.phase = Phase.DIALING
                case engine.BookCallback():
                    await connect.book_callback(self, step, topic=action.topic)
                    if depth < 4:
                        await self.perform(
                            step,
                            engine.resume(self.config.flows, state, now=_utc()),
                            depth=depth + 1,
                        )
                case engine.Hangup():
                    step.response.hangup()
                    state.phase = Phase.ENDED

    def _carrier_hears(self, state: CallState, action: engine.Record) -> bool:
        """Whether to let the carrier recognise a description our engine cannot."""
        node = self.config.flows[action.flow].nodes.get(action.node)
        describing = isinstance(node, RecordNode) and node.purpose == "describe"
        return describing and not self.transcription.hears(state.language)

    def bank_hours(self) -> HoursNode | None:
        """The bank's opening hours: the first hours check of the main flow."""
        flow = self.config.flows.get(MAIN_FLOW)
        if flow is None:
            return None
        return next((n for n in flow.nodes.values() if isinstance(n, HoursNode)), None)

    def behaviour(self, state: CallState) -> Behaviour:
        """How the caller has behaved so far, for emotion detection."""
        waited = (_now() - state.queue_entered_at) if state.queue_entered_at else 0.0
        return Behaviour(
            zero_presses=state.zero_presses,
            no_match_count=state.no_match_count,
            no_input_count=state.no_input_count,
            hold_seconds=max(0.0, waited),
            repeat_caller_24h=state.repeat_caller,
            open_complaint=state.open_complaint,
        )

    def refresh_emotion(self, step: Step) -> None:
        """Fuse everything known about the caller into their emotion, before routing."""
        state = step.state
        voice = VoiceCues.model_validate(state.voice) if state.voice else None
        reading = self.understanding.emotion(
            " ".join(state.utterances[-3:]),
            state.language,
            voice=voice,
            behaviour=self.behaviour(state),
        )
        state.emotion, state.emotion_intensity = reading.emotion, reading.intensity
        step.speaker.calm = state.upset
        step.log(
            "nlu.read",
            {
                "topic": state.topic or Topic.GENERAL,
                "topic_confidence": state.topic_confidence,
                "emotion": reading.emotion,
                "emotion_intensity": reading.intensity,
                "cues": [cue.model_dump(mode="json") for cue in reading.cues],
            },
        )

    async def start_survey(self, step: Step) -> None:
        """The agent leg ended: a short satisfaction survey, then goodbye."""
        state = step.state
        state.phase = Phase.SURVEY
        if SURVEY_FLOW not in self.config.flows:
            step.speaker.say(step.response, engine.Say("goodbye"))
            step.response.hangup()
            return
        state.flow = SURVEY_FLOW
        state.stack.clear()
        await self.perform(step, engine.start(self.config.flows, state, now=_utc()))


def _fingerprint(url: str, params: Mapping[str, str]) -> str:
    """Equal for a carrier's retry of the same webhook, different for any other."""
    text = url + "|" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    return hashlib.sha1(text.encode()).hexdigest()[:16]


def _float(value: str | None, *, default: float) -> float:
    try:
        return min(1.0, max(0.0, float(value))) if value else default
    except ValueError:
        return default


def _now() -> float:
    return time.time()


def _utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
