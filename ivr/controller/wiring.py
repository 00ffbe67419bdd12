"""The wiring: starting and stopping every part of a running service, in order.

One `Services` per server process: it owns the Redis client, the ticket store,
the flows, understanding, routing and the switchboard, and the background
tasks (the event persister, routing's clock, the in-process transcription
worker, flow reloads). They are put on `app.state` for the routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from fastapi import FastAPI

from ivr.calls.store import CallStore
from ivr.clock import ServiceClock
from ivr.config import Settings
from ivr.connections import redis_client, wait_until_ready
from ivr.controller.caller_history import RedisCallerHistory
from ivr.controller.speech_jobs import SpeechJobs
from ivr.controller.switchboard import Switchboard
from ivr.events import EventLog
from ivr.flows.catalog import FlowCatalog
from ivr.flows.hours import zones_apart
from ivr.flows.pinning import FlowVersionSource
from ivr.flows.publishing import seed_all
from ivr.keys import Keys
from ivr.nlu.understanding import Understanding
from ivr.routing.policy import load_policy
from ivr.routing.router import Router
from ivr.speech.jobs import in_process_worker
from ivr.tickets.audit import AuditLog
from ivr.tickets.outage import store_problem
from ivr.tickets.persister import Persister
from ivr.tickets.store import TicketStore
from ivr.tickets.versions import VersionStore

log = logging.getLogger(__name__)

TICK_SECONDS = 1.0
GC_YOUNG_THRESHOLD = 7_000  # allocations between young collections (Python: 700)


@dataclass
class Services:
    """Everything one server process runs."""

    settings: Settings
    redis: aioredis.Redis
    keys: Keys
    tickets: TicketStore
    flows: FlowCatalog
    understanding: Understanding
    router: Router
    events: EventLog
    switchboard: Switchboard
    clock: ServiceClock
    versions: VersionStore
    audit: AuditLog
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def install(self, app: FastAPI) -> None:
        """Put the services where the routes' dependencies look for them."""
        state = app.state
        state.services = self
        state.redis = self.redis
        state.keys = self.keys
        state.tickets = self.tickets
        state.flows = self.flows
        state.understanding = self.understanding
        state.router = self.router
        state.events = self.events
        state.switchboard = self.switchboard
        state.clock = self.clock
        state.versions = self.versions
        state.audit = self.audit

    async def health(self) -> dict[str, str]:
        """Each backing part and whether it answers."""
        parts: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.redis.ping(), timeout=2)
            parts["redis"] = "ok"
        except Exception as exc:
            parts["redis"] = f"unavailable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.tickets.ping(), timeout=3)
            parts["tickets"] = "ok"
        except Exception as exc:
            parts["tickets"] = f"unavailable: {type(exc).__name__}"
        if parts["tickets"] == "ok" and parts["redis"] == "ok":
            # The database may answer reads and refuse writes (a full disk, a read-only
            # file): the persister says so in Redis.
            with contextlib.suppress(Exception):
                problem = await asyncio.wait_for(store_problem(self.redis, self.keys), timeout=1)
                parts["tickets"] = f"unavailable: {problem}" if problem else "ok"
        return parts


@contextlib.asynccontextmanager
async def start_services(settings: Settings) -> AsyncIterator[Services]:
    """Start every part; refuse to start (ConfigError) on invalid configuration."""
    settings.ensure_auth_token()
    keys = Keys(prefix=settings.redis_prefix)
    catalog = FlowCatalog.load(
        flows_dir=settings.flows_dir, prompts_dir=settings.prompts_dir
    )  # invalid flows or prompts: ConfigError, naming each
    for apart in zones_apart(catalog.flows, settings.timezone):
        log.warning(
            "%s, while IVR_TIMEZONE (the bank's days in reports and pages) is %s",
            apart,
            settings.timezone,
        )
    redis = redis_client(settings.redis_url)
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(redis.aclose)
        await wait_until_ready(redis)
        tickets = await TicketStore.open(settings.database_url_async())
        stack.push_async_callback(tickets.close)
        versions = VersionStore(sessions=tickets.session)
        await seed_all(catalog=catalog, versions=versions, redis=redis, keys=keys)
        understanding = await asyncio.to_thread(
            Understanding.load, settings.routing_dir, cache_dir=settings.model_cache_dir
        )
        clock = ServiceClock(redis=redis, keys=keys, movable=settings.clock_movable)
        await clock.refresh()
        events = EventLog(redis=redis, keys=keys)
        # Built with the event log: routing writes each `routing.decided` itself.
        router = Router(
            redis=redis,
            keys=keys,
            policy=load_policy(settings.routing_dir / "policy.yaml"),
            clock=clock.now,
            zone=settings.zone,
            events=events,
            callback_events=False,  # the controller logs callbacks with the webhook's events
        )
        await router.start()
        await router.agents.seed_from_file(settings.routing_dir / "agents.yaml")
        calls = CallStore(redis=redis, keys=keys, ttl_seconds=settings.call_ttl_seconds)
        stack.push_async_callback(calls.aclose)
        switchboard = Switchboard(
            settings=settings,
            calls=calls,
            config=FlowVersionSource(catalog=catalog, redis=redis, keys=keys),
            understanding=understanding,
            router=router,
            transcription=SpeechJobs(redis=redis, keys=keys, settings=settings),
            history=RedisCallerHistory(redis=redis, keys=keys),
            events=events,
            clock=clock,
        )
        services = Services(
            settings=settings,
            redis=redis,
            keys=keys,
            tickets=tickets,
            flows=catalog,
            understanding=understanding,
            router=router,
            events=events,
            switchboard=switchboard,
            clock=clock,
            versions=versions,
            audit=AuditLog(sessions=tickets.session),
        )
        stop = asyncio.Event()
        if settings.in_process_persister:
            persister = Persister(
                redis=redis,
                keys=keys,
                store=tickets,
                claim_idle_ms=round(settings.persister_claim_idle_seconds * 1000),
            )
            services.tasks.append(asyncio.create_task(persister.run(stop), name="persister"))
        services.tasks.append(
            asyncio.create_task(
                _every(TICK_SECONDS, _ticker(clock, router), stop, name="routing clock"),
                name="routing-clock",
            )
        )
        services.tasks.append(
            asyncio.create_task(
                _every(
                    2.0,
                    lambda: catalog.reload_if_stale(redis, keys),
                    stop,
                    name="flow reload",
                ),
                name="flow-reload",
            )
        )
        if settings.in_process_worker:
            worker = in_process_worker(settings, understanding=understanding)
            await worker.start()
            stack.push_async_callback(worker.close)
        # What start-up built (flows, prompts, the classifiers' vocabularies, the speech
        # model: a few hundred thousand objects) lives as long as the service. Out of the
        # cyclic collector's sight, it is not walked again and again while calls come in.
        gc.freeze()
        # A webhook's objects (its form, query, state, events, TwiML) are freed by their
        # reference counts as it ends; a young collection only walks those of the webhooks
        # in flight, alive still. After every 700 allocations (Python's default) that
        # walk was ~3% of a menu step under load; after every 7,000 it is a tenth of it.
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        try:
            yield services
        finally:
            stop.set()
            await _finish(services.tasks)


def _ticker(clock: ServiceClock, router: Router) -> Callable[[], Awaitable[None]]:
    """Routing's tick on the service's clock, as the simulator may have moved it."""

    async def tick() -> None:
        await clock.refresh()
        await router.tick()

    return tick


async def _every(
    seconds: float,
    job: Callable[[], Awaitable[object]],
    stop: asyncio.Event,
    *,
    name: str = "background job",
    quiet_seconds: float = 60.0,
) -> None:
    """Run `job` every `seconds` until `stop`; failures are logged and the loop goes on.

    While a job keeps failing (Redis down), its traceback is logged once, then a line
    every `quiet_seconds` saying how many runs failed, then once when it recovers.
    """
    failures = 0
    last_said = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        try:
            await job()
        except Exception as exc:
            failures += 1
            if failures == 1:
                log.exception("%s failed", name)
                last_said = loop.time()
            elif loop.time() - last_said >= quiet_seconds:
                log.error("%s still failing (%d runs so far): %s", name, failures, exc)
                last_said = loop.time()
        else:
            if failures:
                log.warning("%s works again after %d failed runs", name, failures)
            failures = 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _finish(tasks: list[asyncio.Task[None]]) -> None:
    _done, pending = await asyncio.wait(tasks, timeout=5) if tasks else (set(), set())
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
