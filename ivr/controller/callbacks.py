"""Booking a callback for the caller, and saying when, in their language."""

from __future__ import annotations

import datetime as dt

from ivr.bank_time import zone
from ivr.calls.state import CallState, Phase
from ivr.controller.ports import CallbackBooking, FlowSource
from ivr.controller.webhook import Webhook
from ivr.errors import InvalidInputError
from ivr.flows import engine
from ivr.flows.hours import is_open, next_open
from ivr.flows.model import HoursNode
from ivr.ids import Language, Topic
from ivr.routing.models import RoutingRequest


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
        utterances=len(state.heard),
    )


MAIN_FLOW = "main"


def bank_hours(config: FlowSource) -> HoursNode | None:
    """The bank's opening hours: the first hours check of the main flow."""
    flow = config.flows.get(MAIN_FLOW)
    if flow is None:
        return None
    return next((n for n in flow.nodes.values() if isinstance(n, HoursNode)), None)


class Callbacks:
    """Books callbacks: at the bank's next opening when it is closed now."""

    def __init__(self, *, booking: CallbackBooking, config: FlowSource) -> None:
        self._booking = booking
        self._config = config

    async def book(self, webhook: Webhook, *, topic: Topic, announce: bool = True) -> None:
        """Book a callback to the caller's number and tell them when; a number with one
        pending hears that one's time."""
        state = webhook.state
        request = routing_request(state, now=webhook.now).model_copy(update={"topic": topic})
        hours = bank_hours(self._config)
        now = dt.datetime.fromtimestamp(webhook.now, dt.UTC)
        opening = next_open(hours, now) if hours is not None and not is_open(hours, now) else None
        try:
            callback = await self._booking.request_callback(
                request, due_at=opening.timestamp() if opening else None
            )
        except InvalidInputError:  # the next opening lies past the bank's limit: the default
            callback = await self._booking.request_callback(request)
        # A caller who asked before (another call) joins that callback: same id, time, agent.
        webhook.log(
            "callback.joined" if callback.joined else "callback.requested",
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
            webhook.speaker.say(webhook.response, engine.Say("callback_booked", {"when": when}))
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
