"""`<Enqueue>`: the wait-URL loop, `<Leave>`, hang-ups while waiting, and the action."""

from __future__ import annotations

from ivr.simulator import Carrier, Hangup, Limits, Press, Wait
from ivr.simulator.stand_in import StandIn

TOKEN = "simulator-test-token"


def carrier(service: StandIn, **kw: object) -> Carrier:
    return Carrier(
        base_url="http://testserver",
        auth_token=TOKEN,
        transport=service.transport(),
        **kw,  # type: ignore[arg-type]
    )


def leave_on_round(n: int) -> StandIn:
    rounds: list[int] = []

    def wait(params: dict[str, str]) -> str:
        rounds.append(1)
        if len(rounds) >= n:
            return "<Leave/>"
        return f'<Say>You are caller {params["QueuePosition"]}</Say><Pause length="20"/>'

    return StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Enqueue waitUrl="/wait" action="/left">general</Enqueue>'
            "<Say>not reached: the action answers</Say>",
            "/wait": wait,
            "/left": lambda p: f"<Say>Result {p['QueueResult']}</Say>",
        },
    )


async def test_the_wait_url_loops_until_leave_then_the_action_gets_the_result() -> None:
    service = leave_on_round(3)
    record = await carrier(service).place_call()

    waits = service.to("/wait")
    assert len(waits) == 3
    assert [int(w.params["QueueTime"]) for w in waits] == sorted(
        int(w.params["QueueTime"]) for w in waits
    )
    assert int(waits[2].params["QueueTime"]) >= 40
    for key in ("QueuePosition", "QueueSid", "AvgQueueTime", "CurrentQueueSize"):
        assert key in waits[0].params
    assert waits[0].params["QueueSid"].startswith("QU")
    left = service.to("/left")[0].params
    assert left["QueueResult"] == "leave" and int(left["QueueTime"]) >= 40
    assert left["QueueSid"] == waits[0].params["QueueSid"]
    assert record.said == ["You are caller 1", "You are caller 1", "Result leave"]
    assert all(r.signature_valid for r in service.received)


async def test_without_an_action_the_call_goes_on_after_enqueue() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Enqueue waitUrl="/wait">general</Enqueue><Say>After the queue</Say>',
            "/wait": "<Leave/>",
        },
    )
    record = await carrier(service).place_call()
    assert record.said == ["After the queue"]


async def test_a_caller_hanging_up_while_queued_is_reported_to_the_action() -> None:
    service = leave_on_round(99)
    record = await carrier(service).place_call([Wait(2), Hangup()])
    assert len(service.to("/wait")) == 2
    left = service.to("/left")[0].params
    assert left["QueueResult"] == "hangup"
    assert record.ended_by == "caller" and record.steps_left == []
    assert "Result hangup" not in record.said, "the answer to a hung-up call is not played"
    assert service.to("/twilio/status")[0].params["CallStatus"] == "completed"


async def test_a_gather_in_the_wait_document_takes_keys_and_its_answer_may_leave() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Enqueue waitUrl="/wait" action="/left">general</Enqueue>',
            "/wait": '<Gather numDigits="1" action="/callback"><Say>Press 1 for a callback</Say>'
            "</Gather>",
            "/callback": lambda p: "<Leave/>" if p.get("Digits") == "1" else "",
            "/left": "<Say>We will call you back</Say>",
        },
    )
    record = await carrier(service).place_call([Wait(1), Press("1")])
    assert len(service.to("/wait")) == 2, "round 1 times out, round 2 gets the key"
    assert service.to("/callback")[0].params["Digits"] == "1"
    assert service.to("/left")[0].params["QueueResult"] == "leave"
    assert record.said[-1] == "We will call you back"


async def test_a_redirect_in_the_wait_document_keeps_the_caller_queued() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Enqueue waitUrl="/wait" action="/left">general</Enqueue>',
            "/wait": "<Say>Please hold</Say><Redirect>/wait/more</Redirect>",
            "/wait/more": "<Leave/>",
            "/left": "<Say>Connecting</Say>",
        },
    )
    record = await carrier(service).place_call()
    assert "QueueTime" in service.to("/wait/more")[0].params
    assert record.said == ["Please hold", "Connecting"]


async def test_a_queue_that_never_ends_is_bounded() -> None:
    service = leave_on_round(10_000)
    record = await carrier(service, limits=Limits(max_wait_rounds=4)).place_call()
    assert len(service.to("/wait")) == 4
    assert service.to("/left")[0].params["QueueResult"] == "hangup"
    assert record.ended_by == "limit"


async def test_hangup_in_the_wait_document_ends_the_call() -> None:
    service = StandIn(
        TOKEN,
        {
            "/twilio/voice": '<Enqueue waitUrl="/wait" action="/left">general</Enqueue>',
            "/wait": "<Say>Closing</Say><Hangup/>",
            "/left": "",
        },
    )
    record = await carrier(service).place_call()
    assert service.to("/left")[0].params["QueueResult"] == "hangup"
    assert record.ended_by == "service"


async def test_twilio_hold_music_plays_when_there_is_no_wait_url() -> None:
    service = StandIn(TOKEN, {"/twilio/voice": "<Enqueue>general</Enqueue>"})
    record = await carrier(service).place_call([Hangup()])
    assert [h.kind for h in record.heard] == ["hold"]
    assert record.ended_by == "caller"
