"""The agent registry: add, update, remove agents and change their state.

Agents live in Redis (ivr.routing.index) so every server process sees one
truth; each change carries a version, so two admins editing one agent at once
get a ConflictError instead of silently overwriting each other.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from ivr.errors import ConfigError, ConflictError, InvalidInputError, NotFoundError
from ivr.ids import AgentState
from ivr.routing.index import AgentIndex
from ivr.routing.models import Agent, AgentStatus, AgentView
from ivr.routing.policy import TRAIT_PATTERN
from ivr.routing.records import AgentRecord
from ivr.routing.scoring import agent_pools

log = logging.getLogger(__name__)

_TRAIT = re.compile(TRAIT_PATTERN)
INITIAL_STATES = (AgentState.AVAILABLE, AgentState.AWAY, AgentState.OFFLINE)


class SeedAgent(Agent):
    """An agent in routing/agents.yaml, with the state it starts in."""

    status: AgentState = AgentState.AVAILABLE


class SeedFile(BaseModel):
    """routing/agents.yaml."""

    agents: list[SeedAgent] = Field(default_factory=list)


def parse_state(value: str | AgentState) -> AgentState:
    """An agent state from its contract id; InvalidInputError naming the field otherwise."""
    try:
        return AgentState(value)
    except ValueError:
        allowed = ", ".join(s.value for s in AgentState)
        raise InvalidInputError(
            f"unknown agent state {value!r}; expected one of {allowed}", field="status"
        ) from None


def _index_entries(agent: Agent) -> tuple[list[str], list[str], list[str]]:
    for i, trait in enumerate(agent.traits):
        if not _TRAIT.match(trait):
            raise InvalidInputError(
                f"trait {trait!r} must be lower_snake_case", field=f"traits.{i}"
            )
    skills = {topic.value: level for topic, level in agent.skills.items()}
    languages = [lang.value for lang in agent.languages]
    pools = agent_pools(skills, languages, sorted(set(agent.traits)))
    rosters = [f"{s}:{lang}" for s in sorted(skills) for lang in languages]
    cbs = [f"{s}:{lang}:{skills[s]}" for s in sorted(skills) for lang in languages]
    return pools, rosters, cbs


def _view(record: AgentRecord) -> AgentView:
    return AgentView(
        agent=Agent.model_validate_json(record.doc),
        status=AgentStatus(
            agent_id=record.agent_id,
            state=AgentState(record.state),
            since=record.since,
            calls_today=record.calls_today,
            talk_seconds_today=record.talk_seconds_today,
            version=record.version,
            call_sid=record.call_sid,
        ),
    )


class AgentRoster:
    """Agents and their states, shared by every server process through Redis."""

    def __init__(self, *, index: AgentIndex, ready: Callable[[], Awaitable[None]]) -> None:
        self._index = index
        self._ready = ready

    async def _put(
        self, agent: Agent, *, mode: str, expected_version: int | None, state: AgentState
    ) -> AgentView:
        await self._ready()
        if state not in INITIAL_STATES:
            raise InvalidInputError(
                f"a new agent starts available, away or offline, not {state.value}",
                field="status",
            )
        pools, rosters, cbs = _index_entries(agent)
        status, version = await self._index.put(
            agent.id,
            doc=agent.model_dump_json(),
            pools=pools,
            rosters=rosters,
            callback_rosters=cbs,
            mode=mode,
            expected_version=expected_version,
            initial_state=state.value,
        )
        if status == "exists":
            raise ConflictError(f"agent {agent.id!r} already exists")
        if status == "missing":
            raise NotFoundError("agent", agent.id)
        if status == "conflict":
            raise ConflictError(
                f"agent {agent.id!r} changed meanwhile (version {version}, "
                f"you sent {expected_version}); reload and try again"
            )
        return await self.get(agent.id)

    async def add(self, agent: Agent, *, state: AgentState = AgentState.AVAILABLE) -> AgentView:
        """Register a new agent; ConflictError when the id is taken."""
        return await self._put(agent, mode="create", expected_version=None, state=state)

    async def update(self, agent: Agent, *, expected_version: int | None = None) -> AgentView:
        """Replace an agent's details, keeping its state; guarded by `expected_version`."""
        return await self._put(
            agent, mode="update", expected_version=expected_version, state=AgentState.AVAILABLE
        )

    async def upsert(self, agent: Agent, *, state: AgentState = AgentState.AVAILABLE) -> AgentView:
        """Add or update; an existing agent keeps its state (used when seeding)."""
        return await self._put(agent, mode="upsert", expected_version=None, state=state)

    async def get(self, agent_id: str) -> AgentView:
        """One agent with its status; NotFoundError when unknown."""
        record = await self._index.get(agent_id)
        if record is None:
            raise NotFoundError("agent", agent_id)
        return _view(record)

    async def all(self) -> list[AgentView]:
        """Every agent with its status, by id."""
        ids = await self._index.agent_ids()
        records = await self._index.get_many(ids)
        return [_view(r) for r in records if r is not None]

    async def remove(self, agent_id: str, *, expected_version: int | None = None) -> None:
        """Remove an agent; ConflictError while it is on a call or after a concurrent change."""
        await self._ready()
        status = await self._index.remove(agent_id, expected_version=expected_version)
        if status == "missing":
            raise NotFoundError("agent", agent_id)
        if status == "busy":
            raise ConflictError(f"agent {agent_id!r} is on a call; remove it after the call")
        if status == "conflict":
            raise ConflictError(f"agent {agent_id!r} changed meanwhile; reload and try again")

    async def set_status(
        self, agent_id: str, state: str | AgentState, *, expected_version: int | None = None
    ) -> AgentView:
        """Change an agent's state (last writer wins unless `expected_version` is given)."""
        await self._ready()
        new = parse_state(state)
        status, previous, version = await self._index.set_state(
            agent_id, new.value, expected_version=expected_version
        )
        if status == "missing":
            raise NotFoundError("agent", agent_id)
        if status == "conflict":
            raise ConflictError(
                f"agent {agent_id!r} changed meanwhile (version {version}); reload and try again"
            )
        log.info("agent %s: %s -> %s", agent_id, previous, new.value)
        return await self.get(agent_id)

    async def seed_from_file(self, path: Path) -> int:
        """Add or update the agents listed in `path` (routing/agents.yaml); returns how many."""
        try:
            data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            seed = SeedFile.model_validate(data)
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: {exc}") from exc
        except ValidationError as exc:
            lines = [
                f"{path}: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors()
            ]
            raise ConfigError("\n".join(lines)) from exc
        for entry in seed.agents:
            agent = Agent.model_validate(entry.model_dump(exclude={"status"}))
            await self.upsert(agent, state=entry.status)
        return len(seed.agents)
