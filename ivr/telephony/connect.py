"""Putting callers through: routing, the queue's wait loop, dialling agents, callbacks.

Functions over the switchboard and one webhook's Step; routing itself
(choosing an agent atomically, ordering waiting callers) lives in ivr.routing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.state import CallState, Phase
from ivr.errors import InvalidInputError, NotFoundError
from ivr.flows import engine
from ivr.flows.hours import is_open, next_open, zone
from ivr.ids import Language, Topic
from ivr.routing.models import DecisionKind, DialStatus, RoutingDecision, RoutingRequest
from ivr.telephony import twiml
from ivr.telephony.step import Step
from ivr.tickets.models import ticket_id

if TYPE_CHECKING:
    from ivr.telephony.switchboard import Switchboard

log = logging.getLogger(__name__)

GENERAL_QUEUE = "general"
MAX_ROUTES = 4  # agents tried for one call before we offer a callback instead
QUEUE_KEY_TIMEOUT = 8  # seconds each wait round listens for "1" (also the hold between news)
_CONNECTED: frozenset[str] = frozenset({"completed", "answered"})
_DIAL_STATUSES: frozenset[str] = frozenset(
    {"completed", "answered", "busy", "no-answer", "failed", "canceled"}
)


def routing_request(state: CallState, *, now: float) -> RoutingRequest:
    """What routing needs to know about the caller."""
    return RoutingRequest(
        call_sid=state.call_sid,
        caller=state.caller,
        language=state.language,
        topic=state.topic or Topic.GENERAL,
        emotion=state.emotion,
        emotion_intensity=state.emotion_intensity,
        last_agent_id=state.last_agent_id,
        open_ticket=state.open_complaint,
        entered_at=state.queue_entered_at or now,
    )


async def route(board: Switchboard, step: Step, *, topic: Topic, queue: str | None) -> None:
    """Ask routing for an agent and act on its decision."""
    state = step.state
    state.topic = topic
    board.refresh_emotion(step)
    if state.queue_entered_at is None:
        state.queue_entered_at = step.now
    state.route_count += 1
    if state.route_count > MAX_ROUTES:
        await book_callback(board, step, topic=topic)
        goodbye(step)
        return
    decision = await board.router.route(routing_request(state, now=step.now))
    _log_decision(step, decision)
    await _act(board, step, decision, queue=queue)


async def _act(
    board: Switchboard, step: Step, decision: RoutingDecision, *, queue: str | None
) -> None:
    state = step.state
    if decision.kind is DecisionKind.CONNECT and decision.agent is not None:
        state.agent_id = decision.agent.id
        state.agent_endpoint = decision.agent.endpoint
        dial_agent(step)
    elif decision.kind is DecisionKind.QUEUE:
        state.phase = Phase.QUEUED
        state.queue = decision.queue or queue or GENERAL_QUEUE
        step.log(
            "queue.joined",
            {"queue": state.queue, "position": decision.position, "priority": decision.priority},
        )
        twiml.enqueue(
            step.response,
            queue=state.queue,
            wait_url=step.url("/twilio/queue/wait"),
            url=step.url("/twilio/queue/done"),
        )
    else:
        await book_callback(board, step, topic=state.topic or Topic.GENERAL)
        goodbye(step)


def dial_agent(step: Step) -> None:
    """`<Dial>` the agent routing chose for this call."""
    state = step.state
    assert state.agent_id is not None
    state.phase = Phase.DIALING
    step.speaker.say(step.response, engine.Say("connecting"))
    endpoint = state.agent_endpoint or "client"
    step.log("agent.dialed", {"agent_id": state.agent_id, "endpoint": endpoint})
    twiml.dial(
        step.response,
        endpoint=endpoint,
        agent_id=state.agent_id,
        url=step.url("/twilio/dial/done"),
        ticket=ticket_id(state.call_sid),
    )


def goodbye(step: Step) -> None:
    """Say goodbye and hang up."""
    step.speaker.say(step.response, engine.Say("goodbye"))
    step.response.hangup()
    step.state.phase = Phase.ENDED


async def book_callback(
    board: Switchboard, step: Step, *, topic: Topic, announce: bool = True
) -> None:
    """Book a callback to the caller's number (at the bank's next opening when it is
    closed now) and tell them when; a number with one pending hears that one's time."""
    state = step.state
    request = routing_request(state, now=step.now).model_copy(update={"topic": topic})
    hours = board.bank_hours()
    now = dt.datetime.fromtimestamp(step.now, dt.UTC)
    opening = next_open(hours, now) if hours is not None and not is_open(hours, now) else None
    try:
        callback = await board.router.request_callback(
            request, due_at=opening.timestamp() if opening else None
        )
    except InvalidInputError:  # the next opening lies past the bank's limit: the default
        callback = await board.router.request_callback(request)
    # A caller who asked before (another call) joins that callback: same id, time, agent.
    joined = callback.joined
    step.log(
        "callback.joined" if joined else "callback.requested",
        {
            "number": state.caller,
            "language": state.language,
            "topic": topic,
            "emotion": state.emotion,
            "due_at": callback.due_at,
            "agent_id": callback.agent_id,
            "callback_id": callback.id,
        },
    )
    if announce:
        when = spoken_date(
            callback.due_at, state.language, timezone=hours.timezone if hours else "UTC"
        )
        step.speaker.say(step.response, engine.Say("callback_booked", {"when": when}))
    state.phase = Phase.CALLBACK


def spoken_date(epoch: float, language: Language, *, timezone: str = "UTC") -> str:
    """A due time as a caller would hear it, in the bank's time zone."""
    day = dt.datetime.fromtimestamp(epoch, zone(timezone))
    if language is Language.ZH_CN:
        return f"{day.month}月{day.day}日{day.hour}点" + (f"{day.minute}分" if day.minute else "")
    clock = f"{day.hour}:{day.minute:02d}"
    return f"{day:%A}, {day:%B} {day.day}, at {clock}"


def spoken_minutes(seconds: float, language: Language) -> str:
    """A wait as a caller hears it: "1 minute", "4 minutes", "4分钟"."""
    minutes = max(1, round(seconds / 60))
    if language is Language.ZH_CN:
        return f"{minutes}分钟"
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def _log_decision(step: Step, decision: RoutingDecision) -> None:
    step.log("routing.decided", decision.model_dump(mode="json"))


# ---- the queue -------------------------------------------------------------------------------


async def queue_wait(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """One round of the wait loop: news of the caller's place, and the callback offer."""
    state = step.state
    if state.phase is not Phase.QUEUED:
        step.response.leave()  # they were already given an agent or made a choice
        return
    try:
        decision = await board.router.poll(state.call_sid)
    except NotFoundError:
        # Routing lost track of the caller (expired): leave, and be routed afresh.
        state.phase = Phase.MENU
        step.response.leave()
        return
    state.queue_polls += 1
    if decision.kind is DecisionKind.CONNECT and decision.agent is not None:
        _log_decision(step, decision)
        state.agent_id = decision.agent.id
        state.agent_endpoint = decision.agent.endpoint
        state.phase = Phase.DIALING
        step.response.leave()
        return
    if decision.kind is DecisionKind.CALLBACK:
        _log_decision(step, decision)
        url = step.url("/twilio/queue/choice")
        gather = step.response.gather(
            input="dtmf", num_digits=1, action=url, method="POST", timeout=QUEUE_KEY_TIMEOUT
        )
        step.speaker.say(gather, engine.Say("queue_max_wait"))
        step.response.redirect(url + "?silence=1", method="POST")
        return
    position = decision.position or int(params.get("QueuePosition") or 1)
    minutes = spoken_minutes(decision.expected_wait_seconds or 60.0, step.state.language)
    step.speaker.say(
        step.response, engine.Say("queue_position", {"position": position, "minutes": minutes})
    )
    gather = step.response.gather(
        input="dtmf",
        num_digits=1,
        action=step.url("/twilio/queue/key"),
        method="POST",
        timeout=QUEUE_KEY_TIMEOUT,
    )
    step.speaker.say(gather, engine.Say("queue_callback_offer"))
    step.speaker.say(step.response, engine.Say("queue_hold"))


async def queue_key(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """A key pressed while waiting: 1 asks for a callback."""
    if step.state.phase is Phase.QUEUED and params.get("Digits", "").startswith("1"):
        step.state.phase = Phase.CALLBACK
        step.response.leave()
        return
    step.response.pause(length=1)  # back to the wait loop


async def queue_choice(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """After the longest wait we allow: 1 a callback, 2 a voicemail (silence: a callback)."""
    if step.state.phase is Phase.QUEUED:
        digit = params.get("Digits", "")
        step.state.phase = Phase.VOICEMAIL if digit.startswith("2") else Phase.CALLBACK
    step.response.leave()


async def queue_done(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """The caller left the queue: connect them, book what they chose, or note they hung up."""
    state = step.state
    result = params.get("QueueResult", "")
    waited = _seconds(params.get("QueueTime"))
    step.log(
        "queue.left", {"queue": state.queue, "reason": result or "leave", "wait_seconds": waited}
    )
    if result == "hangup":
        await board.router.abandon(state.call_sid)
        state.phase = Phase.ENDED
        return
    if state.phase is Phase.DIALING and state.agent_id:
        dial_agent(step)
    elif state.phase is Phase.CALLBACK:
        await book_callback(board, step, topic=state.topic or Topic.GENERAL)
        goodbye(step)
    elif state.phase is Phase.VOICEMAIL:
        step.speaker.say(step.response, engine.Say("voicemail_prompt"))
        url = step.url("/twilio/record", voicemail=1)
        step.response.record(action=url, method="POST", max_length=120, timeout=5, play_beep=True)
        step.response.redirect(url + "&empty=1", method="POST")
    else:
        # queue-full, error, or a call that never was queued: take them on another way.
        await board.router.abandon(state.call_sid)
        state.phase = Phase.MENU
        await route(board, step, topic=state.topic or Topic.GENERAL, queue=None)


async def voicemail_left(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """The caller left a voicemail: keep it (transcribed like any recording) and say goodbye."""
    recording = params.get("RecordingUrl", "")
    if recording and not params.get("empty"):
        await book_callback(board, step, topic=step.state.topic or Topic.GENERAL, announce=False)
        step.log(
            "voicemail.left",
            {"recording_url": recording, "duration": _seconds(params.get("RecordingDuration"))},
        )
        await board.transcription.submit(
            call_sid=step.state.call_sid, recording_url=recording, language=step.state.language
        )
        step.speaker.say(step.response, engine.Say("voicemail_saved"))
    else:
        await book_callback(board, step, topic=step.state.topic or Topic.GENERAL)
    goodbye(step)


# ---- the agent leg ---------------------------------------------------------------------------


async def dial_done(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """The `<Dial>` to an agent ended: a survey when they talked, another agent when not."""
    state = step.state
    raw = params.get("DialCallStatus", "failed")
    status: DialStatus = raw if raw in _DIAL_STATUSES else "failed"  # type: ignore[assignment]
    talk = _seconds(params.get("DialCallDuration"))
    agent_id = state.agent_id
    if state.phase is not Phase.DIALING or agent_id is None:
        goodbye(step)  # a transfer ended, or a stale action
        return
    await board.router.dial_result(state.call_sid, agent_id, status, talk_seconds=talk)
    step.log("agent.result", {"agent_id": agent_id, "dial_status": status, "duration": talk})
    if status in _CONNECTED:
        state.connected_at = step.now - talk
        await board.start_survey(step)
        return
    state.tried_agents.append(agent_id)
    state.agent_id = None
    state.agent_endpoint = None
    state.phase = Phase.MENU
    step.speaker.say(step.response, engine.Say("agent_retry"))
    await route(board, step, topic=state.topic or Topic.GENERAL, queue=None)


async def unknown_dial(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """A Dial action for a call we don't know: logged, and a polite goodbye."""
    log.warning("dial action for unknown call %s", step.state.call_sid)
    step.log("error", {"where": "dial", "message": "dial action for an unknown call"})
    goodbye(step)


async def call_ended(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """The carrier's status callback: the call is over."""
    state = step.state
    if state.phase is Phase.QUEUED:
        await board.router.abandon(state.call_sid)
        step.log("queue.left", {"queue": state.queue, "reason": "hangup", "wait_seconds": None})
    step.log(
        "call.ended",
        {
            "status": params.get("CallStatus", "completed"),
            "duration": _seconds(params.get("CallDuration")),
        },
    )
    state.phase = Phase.ENDED


async def leave_queue(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """A waiting caller we have no state for (it expired, or Redis lost it): out of the
    queue, whose action then starts the flow again for them, rather than silent loops."""
    log.warning("queue step for unknown call %s: leaving the queue", step.state.call_sid)
    step.response.leave()


async def nothing(board: Switchboard, step: Step, params: Mapping[str, str]) -> None:
    """Answer with an empty document (status callbacks for unknown calls)."""


def hold(state: CallState | None, base_url: str, *, board: Switchboard) -> str:
    """What a waiting caller hears when something failed inside the wait loop."""
    response = VoiceResponse()
    try:
        speaker = twiml.Speaker(
            prompts=board.config.prompts, language=state.language if state else Language.EN_US
        )
        speaker.say(response, engine.Say("queue_hold"))
    except Exception:
        log.exception("hold prompt unavailable")
    response.pause(length=5)
    return twiml.render(response)


def _seconds(value: str | None) -> float:
    try:
        return max(0.0, float(value)) if value else 0.0
    except ValueError:
        return 0.0
