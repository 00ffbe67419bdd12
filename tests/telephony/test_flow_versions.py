"""A published flow version through the real service and the simulated carrier: the next
call follows it, a call already in the menu finishes on the version it started with, and a
rollback brings the old one back for new calls."""

from __future__ import annotations

import asyncio

import yaml

from ivr.simulator import verbs
from ivr.simulator.callers import ScriptedCaller
from ivr.simulator.script import Hangup, Press, ScriptStep
from tests.telephony.conftest import Service

LOANS = "5"


class WaitsInTheMenu(ScriptedCaller):
    """A scripted caller who, at the main menu, waits until told to go on."""

    def __init__(self, steps: list[ScriptStep]) -> None:
        super().__init__(steps)
        self.in_menu = asyncio.Event()
        self.go_on = asyncio.Event()
        self._gathers = 0

    async def at_gather(self, gather: verbs.Gather) -> ScriptStep | None:
        self._gathers += 1
        if self._gathers == 2:  # the language choice was the first
            self.in_menu.set()
            await self.go_on.wait()
        return await super().at_gather(gather)


def heard_route(service: Service, said: str) -> str:
    """Which route prompt the caller heard: loans or digital banking."""
    prompts = service.app.state.flows.prompts
    for prompt in ("loans_intro", "digital_intro"):
        if prompts.text(prompt, "en-US") in said:
            return prompt
    raise AssertionError(f"neither route prompt was heard:\n{said}")


async def test_calls_in_the_menu_finish_on_their_version_new_ones_take_the_new(
    service: Service,
) -> None:
    carrier = service.carrier()
    steps: list[ScriptStep] = [Press("1"), Press(LOANS), Hangup()]
    waiting = WaitsInTheMenu(list(steps))
    in_progress = asyncio.create_task(carrier.place_call(caller_input=waiting, call_sid="CAold"))
    await asyncio.wait_for(waiting.in_menu.wait(), timeout=30)

    async with service.api() as api:
        live = await api.get("/api/flows/main")
        flow = yaml.safe_load(live.text)
        flow["nodes"]["main_menu"]["options"][LOANS] = "digital"
        draft = yaml.safe_dump(flow, allow_unicode=True)
        published = await api.put(
            "/api/flows/main",
            content=draft,
            params={"message": "loans now go to digital banking"},
            headers={"If-Match": live.headers["etag"]},
        )
        assert published.status_code == 200, published.text
        new_version = published.json()["version"]

    after = await carrier.place_call(steps, call_sid="CAnew")
    assert heard_route(service, after.transcript) == "digital_intro"

    waiting.go_on.set()
    before = await asyncio.wait_for(in_progress, timeout=60)
    assert before.errors == []
    assert heard_route(service, before.transcript) == "loans_intro"

    async with service.api() as api:
        back = await api.post("/api/flows/main/rollback", json={"version": new_version - 1})
        assert back.status_code == 200, back.text
    again = await carrier.place_call(steps, call_sid="CAagain")
    assert heard_route(service, again.transcript) == "loans_intro"
