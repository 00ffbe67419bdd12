"""Calls finish on the flow version they entered; new calls take the live one.

A call pins each flow the first time it enters it (`CallState.flow_versions`).
While an admin publishes, a call already in a menu keeps the version it
started with, in every server process: a process that has not got that
version in memory reads its text from Redis (written at publish) once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Protocol

import redis.asyncio as aioredis

from ivr.calls.state import CallState
from ivr.flows.loader import parse_flow
from ivr.flows.model import Flow
from ivr.keys import Keys
from ivr.prompts.model import PromptCatalog

log = logging.getLogger(__name__)

OLD_VERSIONS_KEPT = 64  # parsed old flow versions per process; calls last minutes
OLD_TEXT_TTL_SECONDS = 7 * 24 * 3600  # far longer than any call


class OldVersions:
    """Parsed flow versions that are no longer live, newest use last (a small LRU)."""

    def __init__(self) -> None:
        self._flows: OrderedDict[tuple[str, int], Flow] = OrderedDict()

    def get(self, name: str, version: int) -> Flow | None:
        """The parsed flow, when this process has it."""
        flow = self._flows.get((name, version))
        if flow is not None:
            self._flows.move_to_end((name, version))
        return flow

    def keep(self, name: str, version: int, flow: Flow) -> None:
        """Remember `flow` as version `version` of `name`."""
        self._flows[(name, version)] = flow
        self._flows.move_to_end((name, version))
        while len(self._flows) > OLD_VERSIONS_KEPT:
            self._flows.popitem(last=False)


class PinnedFlows(Mapping[str, Flow]):
    """The flows one call sees: each at the version the call entered it with.

    Looking a flow up pins it (the engine looks up a flow as the call enters
    it); the pins live in the call's state, saved with it after the webhook.
    """

    def __init__(
        self,
        *,
        live: Mapping[str, Flow],
        live_versions: Mapping[str, int],
        old: OldVersions,
        pins: dict[str, int],
    ) -> None:
        self._live = live
        self._live_versions = live_versions
        self._old = old
        self._pins = pins

    def __getitem__(self, name: str) -> Flow:
        live_version = self._live_versions.get(name, 0)
        pinned = self._pins.get(name)
        if pinned is not None and pinned != live_version:
            flow = self._old.get(name, pinned)
            if flow is not None:
                return flow
            # Known nowhere any more (expired): the live version is the best there is.
            log.warning("flow %s v%s is gone; the call goes on with the live one", name, pinned)
        flow = self._live[name]
        self._pins[name] = live_version
        return flow

    def __iter__(self) -> Iterator[str]:
        return iter(self._live)

    def __len__(self) -> int:
        return len(self._live)


class FlowVersionSource:
    """What a call controller asks for flows: the catalog's, pinned per call."""

    def __init__(self, *, catalog: VersionedCatalog, redis: aioredis.Redis, keys: Keys) -> None:
        self._catalog = catalog
        self._redis = redis
        self._keys = keys

    @property
    def flows(self) -> Mapping[str, Flow]:
        """The live flows."""
        return self._catalog.flows

    @property
    def prompts(self) -> PromptCatalog:
        """The prompt catalogue."""
        return self._catalog.prompts

    async def flows_for(self, state: CallState) -> Mapping[str, Flow]:
        """The flows `state`'s call sees; fetches a pinned old version this process lacks."""
        live_versions = self._catalog.live_versions
        old = self._catalog.old_versions
        for name, version in state.flow_versions.items():
            if version == live_versions.get(name, 0) or old.get(name, version) is not None:
                continue
            text = await self._redis.get(self._keys.flow_text(name, version))
            if text is None:
                continue
            flow, problems = parse_flow(
                text.decode() if isinstance(text, bytes) else str(text),
                source=f"{name}.yaml",
                name=name,
            )
            if flow is not None and not problems:
                old.keep(name, version, flow)
        return PinnedFlows(
            live=self._catalog.flows, live_versions=live_versions, old=old, pins=state.flow_versions
        )


class VersionedCatalog(Protocol):
    """The part of FlowCatalog the pinning needs (ivr.flows.catalog)."""

    @property
    def flows(self) -> Mapping[str, Flow]:
        """The live flows."""
        ...

    @property
    def prompts(self) -> PromptCatalog:
        """The prompt catalogue."""
        ...

    @property
    def live_versions(self) -> Mapping[str, int]:
        """Flow name -> live version number (0: never published)."""
        ...

    @property
    def old_versions(self) -> OldVersions:
        """The parsed versions calls may still be on."""
        ...
