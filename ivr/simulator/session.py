"""One simulated call: fetch TwiML, execute it verb by verb as Twilio does, report the end."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urljoin

from ivr.errors import IvrError
from ivr.simulator import verbs
from ivr.simulator.agent_console import ring_console
from ivr.simulator.call_setup import (
    APPLICATION_ERROR,
    PLAY_SECONDS,
    ApplicationError,
    CallEnded,
    CallSetup,
    Jump,
    Limits,
    country,
    speaking_seconds,
)
from ivr.simulator.callers import CallerInput
from ivr.simulator.carrier_requests import CarrierRequests, new_sid, twiml_content_error
from ivr.simulator.queue import wait_in_queue
from ivr.simulator.record import CallRecord, Event, Exchange, Heard, Note
from ivr.simulator.recordings import Recording, RecordingServer, synthesize
from ivr.simulator.script import (
    AgentAnswers,
    AgentBusy,
    AgentNoAnswer,
    Audio,
    Hangup,
    Press,
    Speak,
)
from ivr.simulator.service_clock import ServiceClock


class CallSession:
    """Plays the carrier for one call; `run()` returns the CallRecord."""

    def __init__(
        self,
        *,
        setup: CallSetup,
        webhooks: CarrierRequests,
        caller_input: CallerInput,
        recordings: Callable[[], RecordingServer],
        observer: Callable[[Event], None] | None = None,
    ) -> None:
        self._setup = setup
        self._webhooks = webhooks
        self._input = caller_input
        self._recordings = recordings
        self._observer = observer
        self._clock = 0.0
        self._service_clock = ServiceClock(url=setup.clock_url, requests=webhooks)
        self._verbs = 0
        self._answered = False
        self._status = "ringing"
        self.record = CallRecord(
            call_sid=setup.call_sid or new_sid("CA"), caller=setup.caller, called=setup.called
        )

    # -- bookkeeping -------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if isinstance(event, Heard):
            self.record.heard.append(event)
        elif isinstance(event, Exchange):
            self.record.requests.append(event)
        else:
            self.record.notes.append(event)
        if self._observer is not None:
            self._observer(event)

    def note(self, text: str) -> None:
        """Record something the carrier did or noticed."""
        self._emit(Note(text=text, at=self._clock))

    def hear(self, kind: str, text: str = "", *, language: str = "", voice: str = "") -> None:
        """Record something the caller hears."""
        self._emit(Heard(kind=kind, text=text, language=language, voice=voice, at=self._clock))

    async def advance(self, seconds: float) -> None:
        """Move simulated time on (sleeping for it with --realtime)."""
        self._clock += seconds
        if self._setup.realtime and seconds > 0:
            await asyncio.sleep(seconds)
        elif seconds > 0:
            self._service_clock.skip(seconds)
        if self._clock > self._setup.limits.max_call_seconds:
            self.note(f"the call reached {self._setup.limits.max_call_seconds:g}s; Twilio ends it")
            raise CallEnded("limit")

    def _base_params(self) -> dict[str, str]:
        s = self._setup
        return {
            "AccountSid": s.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.record.call_sid,
            "CallStatus": self._status,
            "Direction": "inbound",
            "From": s.caller,
            "Caller": s.caller,
            "FromCountry": country(s.caller),
            "CallerCountry": country(s.caller),
            "To": s.called,
            "Called": s.called,
            "ToCountry": country(s.called),
            "CalledCountry": country(s.called),
        }

    async def send(self, purpose: str, url: str, method: str, extra: dict[str, str]) -> Exchange:
        """One signed request with the call's standard parameters plus `extra`."""
        if len(self.record.requests) >= self._setup.limits.max_requests:
            self.note(f"{self._setup.limits.max_requests} requests made; the simulator hangs up")
            raise CallEnded("limit")
        await self._service_clock.catch_up()
        exchange = await self._webhooks.send(
            purpose=purpose, url=url, method=method, params={**self._base_params(), **extra}
        )
        self._emit(exchange)
        return exchange

    async def fetch(self, jump: Jump) -> list[verbs.Verb]:
        """TwiML from the service; ApplicationError when Twilio could not use it."""
        exchange = await self.send(jump.purpose, jump.url, jump.method, jump.params)
        for url, method, purpose, params in jump.then:
            callback = await self.send(purpose, url, method, params)
            if callback.error:
                self.note(f"{purpose} callback failed: {callback.error}")
        if exchange.error:
            raise ApplicationError(exchange.error)
        problem = twiml_content_error(exchange)
        if problem:
            raise ApplicationError(problem)
        try:
            return verbs.parse_twiml(exchange.body)
        except verbs.TwimlError as exc:
            raise ApplicationError(f"{exchange.url}: {exc} (Twilio error 12100)") from exc

    # -- the call ----------------------------------------------------------------------

    async def run(self) -> CallRecord:
        """Place the call, execute everything, post the status callback."""
        jump: Jump | None = Jump("voice", self._setup.voice_url)
        try:
            while jump is not None:
                document = await self.fetch(jump)
                if self._status == "ringing":
                    self._status = "in-progress"
                jump = await self._execute(jump.url, document)
            raise CallEnded("end-of-document")
        except CallEnded as end:
            self.record.ended_by, self.record.status = end.ended_by, end.status
        except ApplicationError as exc:
            self.record.errors.append(str(exc))
            self.note(f"application error: {exc}")
            self.hear("error", APPLICATION_ERROR, language="en-US")
            self.record.ended_by, self.record.status = "application-error", "completed"
        self.record.duration = self._clock
        self.record.steps_left = self._input.remaining()
        if self.record.steps_left:
            self.note(f"{len(self.record.steps_left)} step(s) were not used")
        await self._status_callback()
        return self.record

    async def _status_callback(self) -> None:
        self._status = self.record.status
        seconds = 0 if self.record.status in ("busy", "no-answer") else int(self._clock)
        params = {
            "CallDuration": str(seconds),
            "Duration": str(math.ceil(seconds / 60)),
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }
        exchange = await self._webhooks.send(
            purpose="status",
            url=self._setup.status_url,
            method="POST",
            params={**self._base_params(), **params},
        )
        self._emit(exchange)
        if exchange.error:
            self.record.errors.append(f"status callback: {exchange.error}")

    def count_verb(self) -> None:
        """One more verb executed; CallEnded when the bound is passed."""
        self._verbs += 1
        if self._verbs > self._setup.limits.max_verbs:
            self.note(f"{self._setup.limits.max_verbs} verbs executed; the simulator hangs up")
            raise CallEnded("limit")

    async def _execute(self, doc_url: str, document: list[verbs.Verb]) -> Jump | None:
        """Run a document; the next document to fetch, or None when it ran out."""
        for index, verb in enumerate(document):
            self.count_verb()
            if isinstance(verb, verbs.Reject):
                answered = self._answered or index > 0
                unanswered = "busy" if verb.reason == "busy" else "no-answer"
                status = "completed" if answered else unanswered
                self.note(f"call rejected ({verb.reason})")
                raise CallEnded("service", status=status)
            self._answered = True
            jump = await self._verb(doc_url, verb)
            if jump is not None:
                return jump
        return None

    async def _verb(self, doc_url: str, verb: verbs.Verb) -> Jump | None:
        match verb:
            case verbs.Say() | verbs.Play() | verbs.Pause():
                await self.prompt(verb)
            case verbs.Gather():
                return await self.gather(doc_url, verb)
            case verbs.Record():
                return await self._record_voice(doc_url, verb)
            case verbs.Redirect(url=url, method=method):
                return Jump("redirect", urljoin(doc_url, url), method)
            case verbs.Enqueue():
                return await self._enqueue(doc_url, verb)
            case verbs.Dial():
                return await self._dial(doc_url, verb)
            case verbs.Hangup():
                raise CallEnded("service")
            case verbs.Leave():
                self.note("<Leave> outside a queue: nothing to leave")
            case _:
                self.note(f"<{getattr(verb, 'name', '?')}> is not simulated; skipped")
        return None

    async def prompt(self, verb: verbs.Say | verbs.Play | verbs.Pause) -> None:
        """Something the caller hears (or a silence)."""
        if isinstance(verb, verbs.Pause):
            self.hear("pause", f"{verb.length:g}s")
            await self.advance(verb.length)
            return
        times = verb.loop
        if times == 0:
            self.note("loop=0 repeats until something else happens; played once here")
            times = 1
        for _ in range(min(times, 10)):
            if isinstance(verb, verbs.Say):
                self.hear("say", verb.text, language=verb.language, voice=verb.voice)
                await self.advance(speaking_seconds(verb.text))
            else:
                self.hear("play", verb.url or f"digits {verb.digits}")
                await self.advance(PLAY_SECONDS)

    # -- verbs that wait for the caller --------------------------------------------------

    async def gather(self, doc_url: str, gather: verbs.Gather) -> Jump | None:
        """Play the prompt, take the caller's answer; the action to fetch, or None on timeout."""
        for prompt in gather.prompt:
            await self.prompt(prompt)
        step = await self._input.at_gather(gather)
        params: dict[str, str] = {}
        if isinstance(step, Hangup):
            self.note("the caller hangs up during <Gather>")
            raise CallEnded("caller")
        if isinstance(step, Press):
            params = self._digits(gather, step.digits)
        elif isinstance(step, Speak):
            if "speech" in gather.input:
                params = {"SpeechResult": step.text, "Confidence": f"{step.confidence:.2f}"}
            else:
                self.note(f"speech {step.text!r} ignored: this <Gather> takes keys only")
        action = urljoin(doc_url, gather.action) if gather.action else doc_url
        if params:
            await self.advance(1.0)
            return Jump("gather", action, gather.method, params)
        self.note(f"<Gather> timed out after {gather.timeout:g}s")
        await self.advance(gather.timeout)
        if gather.action_on_empty_result:
            return Jump("gather", action, gather.method, {})
        return None

    def _digits(self, gather: verbs.Gather, keys: str) -> dict[str, str]:
        """What Twilio posts for these key presses (finishOnKey and numDigits applied)."""
        if "dtmf" not in gather.input:
            self.note(f"keys {keys!r} ignored: this <Gather> takes speech only")
            return {}
        collected, used = "", 0
        for key in keys:
            used += 1
            if gather.finish_on_key and key in gather.finish_on_key:
                break
            collected += key
            if gather.num_digits is not None and len(collected) >= gather.num_digits:
                break
        if used < len(keys):
            self.note(f"keys {keys[used:]!r} after the Gather ended were not collected")
        return {"Digits": collected} if collected else {}

    async def _record_voice(self, doc_url: str, record: verbs.Record) -> Jump | None:
        if record.play_beep:
            self.hear("beep")
        step = await self._input.at_record(record)
        recording: Recording | None = None
        try:
            if isinstance(step, Audio):
                recording = self._recordings().publish_file(step.path)
            elif isinstance(step, Speak):
                wav = synthesize(step.text, language=self._setup.language)
                recording = self._recordings().publish_speech(wav)
        except IvrError as exc:
            self.note(f"no recording: {exc}")
        if isinstance(step, Hangup):
            self.note("the caller hangs up during <Record> without speaking")
            raise CallEnded("caller")
        if recording is None:
            self.note("nothing was recorded; Twilio goes on with the next verb")
            await self.advance(record.timeout)
            return None
        duration = min(recording.duration, record.max_length)
        await self.advance(duration)
        params = {
            "RecordingUrl": recording.url,
            "RecordingDuration": str(max(1, round(duration))),
            "RecordingSid": recording.sid,
        }
        then: tuple[tuple[str, str, str, dict[str, str]], ...] = ()
        if record.recording_status_callback:
            status = {**params, "RecordingStatus": "completed", "RecordingChannels": "1"}
            status["RecordingSource"] = "RecordVerb"
            url = urljoin(doc_url, record.recording_status_callback)
            then = ((url, record.recording_status_callback_method, "recording-status", status),)
        action = urljoin(doc_url, record.action) if record.action else doc_url
        return Jump("record", action, record.method, params, then)

    async def _dial(self, doc_url: str, dial: verbs.Dial) -> Jump | None:
        parties = ", ".join(f"{t.kind}:{t.address}" for t in dial.targets)
        scripted = await self._input.at_dial(dial)
        client = next((t for t in dial.targets if t.kind == "client"), None)
        params = {"DialCallSid": new_sid("CA")}
        console = None
        if scripted is None and client is not None:
            console = await ring_console(
                self._webhooks,
                doc_url=doc_url,
                call_sid=self.record.call_sid,
                target=client,
                dial=dial,
            )
        outcome = scripted or self._setup.default_agent
        if console is not None:
            self.note(f"dialling {parties}: the agent's console says {console.status}")
            await self.advance(console.seconds)
            params |= {"DialCallStatus": console.status, "DialBridged": "false"}
            if console.status == "completed":
                params |= {"DialCallDuration": str(int(console.seconds)), "DialBridged": "true"}
        elif isinstance(outcome, AgentAnswers):
            talk = min(outcome.seconds, dial.time_limit)
            self.note(f"dialling {parties}: answered, talking {talk:g}s")
            await self.advance(2.0 + talk)
            params |= {"DialCallStatus": "completed", "DialCallDuration": str(int(talk))}
            params["DialBridged"] = "true"
        else:
            status = {AgentNoAnswer: "no-answer", AgentBusy: "busy"}.get(type(outcome), "failed")
            self.note(f"dialling {parties}: {status}")
            await self.advance(dial.timeout if status == "no-answer" else 2.0)
            params |= {"DialCallStatus": status, "DialBridged": "false"}
        if dial.action:
            return Jump("dial", urljoin(doc_url, dial.action), dial.method, params)
        return None

    # -- the queue -------------------------------------------------------------------------

    async def _enqueue(self, doc_url: str, enqueue: verbs.Enqueue) -> Jump | None:
        return await wait_in_queue(self, doc_url, enqueue)

    @property
    def caller_input(self) -> CallerInput:
        """Who answers for the caller."""
        return self._input

    @property
    def clock(self) -> float:
        """Simulated seconds since the call started."""
        return self._clock

    @property
    def limits(self) -> Limits:
        """The bounds of this call."""
        return self._setup.limits
