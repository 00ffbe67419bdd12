"""The flows and prompts a running service uses, and how they change safely.

An admin's edit is validated together with every other flow before it is
written; an invalid edit changes nothing. A valid one is written atomically
and bumps a version in Redis, so every server process reloads its flows at
the start of its next call. A file on disk that turns invalid is reported
and the last good flow stays in use.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

import redis.asyncio as aioredis

from ivr.errors import NotFoundError
from ivr.flows.loader import parse_flow_partial, read_flow_files
from ivr.flows.model import Flow
from ivr.flows.pinning import OldVersions
from ivr.flows.problems import FlowConfigError, FlowError
from ivr.flows.validate import check_partial, retry_prompts, validate
from ivr.keys import Keys
from ivr.prompts.lint import lint
from ivr.prompts.loader import PromptConfigError, read_prompt_files
from ivr.prompts.model import PromptCatalog

log = logging.getLogger(__name__)

FLOW_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


class FlowCatalog:
    """Every flow by name, with the prompt catalogue they play; swapped whole on change."""

    def __init__(
        self,
        *,
        flows_dir: Path,
        prompts_dir: Path,
        flows: Mapping[str, Flow],
        prompts: PromptCatalog,
    ) -> None:
        self.flows_dir = flows_dir
        self.prompts_dir = prompts_dir
        self._flows: dict[str, Flow] = dict(flows)
        self._prompts = prompts
        self._version: bytes | None = None  # the Redis version these flows match
        self._live_versions: dict[str, int] = {}  # flow name -> published version in use
        self.old_versions = OldVersions()  # versions calls started on may still need

    @classmethod
    def load(cls, *, flows_dir: Path, prompts_dir: Path) -> FlowCatalog:
        """Load and check everything; ConfigError (FlowConfigError/PromptConfigError) names
        every problem, so `ivr serve` refuses to start on invalid files."""
        prompts, prompt_errors = read_prompt_files(prompts_dir)
        if prompts is not None:
            prompt_errors.extend(lint(prompts))
        if prompt_errors or prompts is None:
            raise PromptConfigError(prompt_errors)
        flows, errors = read_flow_files(flows_dir)
        errors.extend(validate(flows, prompts))
        if errors:
            raise FlowConfigError(errors)
        retry_problems = lint(prompts, retry_prompts=retry_prompts(flows))
        if retry_problems:
            raise PromptConfigError(retry_problems)
        return cls(flows_dir=flows_dir, prompts_dir=prompts_dir, flows=flows, prompts=prompts)

    @property
    def flows(self) -> Mapping[str, Flow]:
        """Every flow by name (read-only; the engine's `flows` argument)."""
        return MappingProxyType(self._flows)

    @property
    def prompts(self) -> PromptCatalog:
        """The prompt catalogue the flows play."""
        return self._prompts

    @property
    def live_versions(self) -> Mapping[str, int]:
        """Flow name -> the published version in use (0: never published)."""
        return MappingProxyType(self._live_versions)

    def install(self, name: str, flow: Flow, yaml_text: str, version: int) -> None:
        """Put published version `version` of `name` in use: written to disk, swapped in.

        The flow it replaces is kept for the calls that are still on it.
        """
        path = self.path(name)
        if not path.is_file() or path.read_text(encoding="utf-8") != yaml_text:
            write_atomically(path, yaml_text)
        self._swap({**self._flows, name: flow}, {**self._live_versions, name: version})

    def _swap(self, flows: dict[str, Flow], versions: Mapping[str, int]) -> None:
        """Use `flows` at `versions`, keeping each replaced flow under its old version."""
        for name, flow in self._flows.items():
            before = self._live_versions.get(name, 0)
            if flows.get(name) is not flow or versions.get(name, 0) != before:
                self.old_versions.keep(name, before, flow)
        self._flows = flows
        self._live_versions = {name: int(v) for name, v in versions.items()}

    def names(self) -> list[str]:
        """The flow names, sorted."""
        return sorted(self._flows)

    def get(self, name: str) -> Flow:
        """The flow called `name`; NotFoundError when there is none."""
        try:
            return self._flows[name]
        except KeyError:
            raise NotFoundError("flow", name) from None

    def path(self, name: str) -> Path:
        """The file of flow `name` (which may not exist yet); NotFoundError for a bad name."""
        if not FLOW_NAME.match(name):
            raise NotFoundError("flow", name)
        return self.flows_dir / f"{name}.yaml"

    def text(self, name: str) -> str:
        """The YAML text of flow `name` as stored on disk."""
        self.get(name)
        return self.path(name).read_text(encoding="utf-8")

    def check(self, name: str, yaml_text: str) -> tuple[Flow | None, list[FlowError]]:
        """What `update` would do: the parsed flow and every problem, changing nothing."""
        if not FLOW_NAME.match(name):
            message = "a flow name is lowercase letters, digits, '-' and '_' (at most 64)"
            return None, [FlowError(file=f"{name}.yaml", flow=name, message=message)]
        source = str(self.path(name))
        flow, partial, errors = parse_flow_partial(yaml_text, source=source, name=name)
        if flow is None:
            # The nodes that did parse still get every check, so one reply lists every error.
            if partial is not None:
                others = {n: f for n, f in self._flows.items() if n != name}
                errors.extend(check_partial(partial, others, self._prompts))
            return None, errors
        candidate = {**self._flows, name: flow}
        errors.extend(validate(candidate, self._prompts))
        return flow, errors

    def draft(self, name: str, yaml_text: str) -> Flow | None:
        """A draft as far as it parses (malformed nodes stood in by hang-ups), for drawing."""
        flow, partial, _ = parse_flow_partial(yaml_text, source=str(self.path(name)), name=name)
        return flow if flow is not None else (partial.flow if partial is not None else None)

    def update(self, name: str, yaml_text: str) -> list[FlowError]:
        """Validate, then write `name`'s file atomically and swap it in; [] when done.

        When anything is wrong, nothing changes and every problem is returned.
        """
        flow, errors = self.check(name, yaml_text)
        if errors or flow is None:
            return errors
        write_atomically(self.path(name), yaml_text)
        self._flows = {**self._flows, name: flow}
        return []

    async def publish(self, redis: aioredis.Redis, keys: Keys) -> int:
        """Tell every server process the flows changed; the new version number."""
        version = int(await redis.incr(keys.flows_version()))
        if self._version != str(version - 1).encode():
            # Another process published a change we have not loaded yet: load it now,
            # since taking the new version as ours would skip it for good.
            self.reload()
        self._version = str(version).encode()
        return version

    async def save(
        self, name: str, yaml_text: str, *, redis: aioredis.Redis, keys: Keys
    ) -> list[FlowError]:
        """`update`, then `publish` when it succeeded; every problem otherwise."""
        errors = self.update(name, yaml_text)
        if not errors:
            await self.publish(redis, keys)
        return errors

    async def reload_if_stale(self, redis: aioredis.Redis, keys: Keys) -> bool:
        """Reload from disk when another process published a change; whether we reloaded.

        Call it when a call starts. The first call of a process always reloads,
        since a change may have been published between our start and now.
        """
        version = await redis.get(keys.flows_version())
        current = version if isinstance(version, bytes) else str(version or 0).encode()
        if current == self._version:
            return False
        live: dict[bytes | str, bytes | str] = await redis.hgetall(keys.flows_live())  # type: ignore[misc]
        self.reload(versions={_text(k): int(v) for k, v in live.items()})
        self._version = current
        return True

    def reload(self, *, versions: Mapping[str, int] | None = None) -> list[FlowError]:
        """Re-read prompts and flows from disk, keeping the last good of anything invalid.

        `versions` are the live version numbers published with them (as kept in
        Redis). Returns the problems found (also logged); the flows in use stay valid.
        """
        prompts, prompt_errors = read_prompt_files(self.prompts_dir)
        if prompts is not None:
            prompt_errors.extend(lint(prompts))
        for prompt_problem in prompt_errors:
            log.error("prompts on disk are invalid, keeping the last good: %s", prompt_problem)
        if prompts is None or prompt_errors:
            prompts = self._prompts
        loaded, errors = read_flow_files(self.flows_dir)
        candidate = {**self._flows, **loaded}
        problems = validate(candidate, prompts)
        for name in {p.flow for p in problems if p.flow is not None and p.flow in loaded}:
            if name in self._flows:
                candidate[name] = self._flows[name]
            else:
                del candidate[name]
        errors.extend(problems)
        if validate(candidate, prompts):
            # Reverting did not settle it (new prompts lack an id an old flow plays, or a
            # flow needs one that is broken): keep everything as it was.
            candidate, prompts = dict(self._flows), self._prompts
        self._swap(candidate, self._live_versions if versions is None else versions)
        self._prompts = prompts
        for problem in errors:
            log.error("flow on disk is invalid, keeping the last good: %s", problem)
        return errors


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
