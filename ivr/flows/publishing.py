"""Publishing what admins edit: validate, record a version, put it in use everywhere.

The order matters. The version is committed to the database first (it is
the record, and the version check that stops two admins overwriting each
other); then the file is written and swapped in; then Redis tells every
other server process to reload. Calls already in a flow stay on the version
they entered (ivr.flows.pinning); new calls take the new one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import redis.asyncio as aioredis

from ivr.errors import ConflictError
from ivr.flows.catalog import FlowCatalog, write_atomically
from ivr.flows.pinning import OLD_TEXT_TTL_SECONDS
from ivr.flows.problems import FlowConfigError, FlowError
from ivr.flows.validate import validate
from ivr.keys import Keys
from ivr.prompts.lint import lint
from ivr.prompts.loader import LintError, PromptConfigError, parse_prompt_set
from ivr.prompts.model import PromptCatalog, PromptSet


class PublishedVersion(Protocol):
    """One stored version (ivr.tickets.versions.Version)."""

    @property
    def version(self) -> int:
        """Its number."""
        ...

    @property
    def text(self) -> str:
        """The file's text."""
        ...


class VersionStore(Protocol):
    """Where versions are kept (ivr.tickets.versions.VersionStore, in the ticket store)."""

    async def latest(self, kind: str, name: str) -> PublishedVersion | None:
        """The newest version, None when never published."""
        ...

    async def get(self, kind: str, name: str, version: int) -> PublishedVersion:
        """One version; NotFoundError when there is none."""
        ...

    async def latest_numbers(self, kind: str) -> dict[str, int]:
        """Name -> newest version number."""
        ...

    async def append(
        self,
        kind: str,
        name: str,
        text: str,
        *,
        base: int,
        author: str,
        message: str,
        action: str | None = None,
        summary: str = "",
    ) -> PublishedVersion:
        """Store version base + 1 (and its audit entry); ConflictError when base is stale."""
        ...


FLOW = "flow"
PROMPTS = "prompts"
SEED_AUTHOR = "files"
PUBLISH_ATTEMPTS = 3  # without a version check, retry on top of whatever is newest


async def publish_flow(
    *,
    catalog: FlowCatalog,
    versions: VersionStore,
    redis: aioredis.Redis | None,
    keys: Keys,
    name: str,
    text: str,
    author: str,
    message: str,
    base: int | None = None,
    action: str = "flow.publish",
) -> PublishedVersion:
    """Publish `text` as the next version of flow `name`.

    FlowConfigError (every problem, with line and node) when it is invalid;
    ConflictError when `base` is given and someone published after it. The
    running flow is unchanged in both cases.
    """
    flow, errors = catalog.check(name, text)
    if errors or flow is None:
        raise FlowConfigError(errors)
    await seed_flow(catalog=catalog, versions=versions, redis=redis, keys=keys, name=name)
    summary = f"{len(flow.nodes)} nodes"
    for attempt in range(1, PUBLISH_ATTEMPTS + 1):
        on_top = base
        if on_top is None:
            latest = await versions.latest(FLOW, name)
            on_top = latest.version if latest is not None else 0
        try:
            version = await versions.append(
                FLOW,
                name,
                text,
                base=on_top,
                author=author,
                message=message,
                action=action,
                summary=summary,
            )
            break
        except ConflictError:
            if base is not None or attempt == PUBLISH_ATTEMPTS:
                raise
    catalog.install(name, flow, text, version.version)
    if redis is not None:
        await _announce(redis, keys, name, version.version, text)
        await catalog.publish(redis, keys)
    return version


async def seed_flow(
    *,
    catalog: FlowCatalog,
    versions: VersionStore,
    redis: aioredis.Redis | None,
    keys: Keys,
    name: str,
) -> None:
    """Record the flow file in use as version 1 when `name` was never published.

    So history starts with what the service ran, and a rollback can return to it.
    """
    if name not in catalog.flows or await versions.latest(FLOW, name) is not None:
        return
    text = catalog.text(name)
    try:
        version = await versions.append(
            FLOW,
            name,
            text,
            base=0,
            author=SEED_AUTHOR,
            message=f"as found in flows/{name}.yaml",
            action="flow.seed",
        )
    except ConflictError:
        return  # another process recorded it first
    catalog.install(name, catalog.flows[name], text, version.version)
    await _announce(redis, keys, name, version.version, text)


async def seed_all(
    *, catalog: FlowCatalog, versions: VersionStore, redis: aioredis.Redis | None, keys: Keys
) -> None:
    """At start: every flow gets a version, and a file changed by hand becomes a new one."""
    for name in catalog.names():
        latest = await versions.latest(FLOW, name)
        if latest is None:
            await seed_flow(catalog=catalog, versions=versions, redis=redis, keys=keys, name=name)
            continue
        text = catalog.text(name)
        if text != latest.text:
            await publish_flow(
                catalog=catalog,
                versions=versions,
                redis=redis,
                keys=keys,
                name=name,
                text=text,
                author=SEED_AUTHOR,
                message=f"flows/{name}.yaml changed on disk",
                base=latest.version,
                action="flow.disk_change",
            )
        else:
            catalog.install(name, catalog.flows[name], text, latest.version)
            await _announce(redis, keys, name, latest.version, text)
    await seed_prompts(catalog=catalog, versions=versions)


async def rollback_flow(
    *,
    catalog: FlowCatalog,
    versions: VersionStore,
    redis: aioredis.Redis | None,
    keys: Keys,
    name: str,
    to: int,
    author: str,
    base: int | None = None,
) -> PublishedVersion:
    """Publish a new version equal to version `to` (checked again against today's flows)."""
    old = await versions.get(FLOW, name, to)
    return await publish_flow(
        catalog=catalog,
        versions=versions,
        redis=redis,
        keys=keys,
        name=name,
        text=old.text,
        author=author,
        message=f"rollback to version {to}",
        base=base,
        action="flow.rollback",
    )


async def _announce(
    redis: aioredis.Redis | None, keys: Keys, name: str, version: int, text: str
) -> None:
    """Tell other processes the live version, and keep its text for calls on it.

    Without Redis (the command line with no service reachable) the service
    finds the change when it next starts.
    """
    if redis is None:
        return
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(keys.flow_text(name, version), text, ex=OLD_TEXT_TTL_SECONDS)
        pipe.hset(keys.flows_live(), name, str(version))
        await pipe.execute()


# ---- prompts -------------------------------------------------------------------------------


def check_prompts(
    catalog: FlowCatalog, texts: Mapping[str, str]
) -> tuple[PromptCatalog | None, list[LintError], list[FlowError]]:
    """What publishing `texts` (language -> YAML) would do: the new catalogue and every problem.

    Lint problems (service language, missing translations) and flow problems
    (a prompt a flow plays that would be missing) both refuse it.
    """
    sets: dict[str, PromptSet] = {str(k): v for k, v in catalog.prompts.sets.items()}
    problems: list[LintError] = []
    for language, text in texts.items():
        source = str(catalog.prompts_dir / f"{language}.yaml")
        prompt_set, found = parse_prompt_set(text, source=source)
        problems.extend(found)
        if prompt_set is not None and str(prompt_set.language) != language:
            message = f"this file's language is '{prompt_set.language}', not '{language}'"
            problems.append(LintError(file=source, language=language, line=1, message=message))
        elif prompt_set is not None:
            sets[language] = prompt_set
    if problems:
        return None, problems, []
    prompts = PromptCatalog.model_validate({"sets": sets})
    problems.extend(lint(prompts))
    flow_problems = validate(dict(catalog.flows), prompts)
    if problems or flow_problems:
        return None, problems, flow_problems
    return prompts, [], []


async def publish_prompts(
    *,
    catalog: FlowCatalog,
    versions: VersionStore,
    redis: aioredis.Redis | None,
    keys: Keys,
    texts: Mapping[str, str],
    author: str,
    message: str,
    base: Mapping[str, int] | None = None,
) -> list[PublishedVersion]:
    """Publish one or more languages' prompts together; each becomes a new version.

    PromptConfigError / FlowConfigError when anything is wrong (nothing changes);
    ConflictError when a language changed after the version in `base`.
    """
    prompts, problems, flow_problems = check_prompts(catalog, texts)
    if problems:
        raise PromptConfigError(problems)
    if flow_problems or prompts is None:
        raise FlowConfigError(flow_problems)
    await seed_prompts(catalog=catalog, versions=versions)
    newest = await versions.latest_numbers(PROMPTS)
    on_top = {language: (base or {}).get(language, newest.get(language, 0)) for language in texts}
    for language, version in on_top.items():
        # Check every language first, so a stale one refuses them all before any is stored.
        if version != newest.get(language, 0):
            raise ConflictError(
                f"prompts {language!r} changed under you: you edited version {version}, "
                f"version {newest.get(language, 0)} is the newest now; reload and apply again"
            )
    published: list[PublishedVersion] = []
    for language, text in sorted(texts.items()):
        published.append(
            await versions.append(
                PROMPTS,
                language,
                text,
                base=on_top[language],
                author=author,
                message=message,
                action="prompts.publish",
                summary=f"{len(prompts.sets[language].prompts)} prompts",  # type: ignore[index]
            )
        )
    for language, text in texts.items():
        write_atomically(catalog.prompts_dir / f"{language}.yaml", text)
    catalog.reload()
    if redis is not None:
        await catalog.publish(redis, keys)
    return published


async def seed_prompts(*, catalog: FlowCatalog, versions: VersionStore) -> None:
    """Record each language's prompt file as version 1 when it was never published."""
    known = await versions.latest_numbers(PROMPTS)
    for language in catalog.prompts.sets:
        current = _prompt_file(catalog, str(language))
        if str(language) in known or current is None:
            continue
        with contextlib.suppress(ConflictError):  # another process recorded it first
            await versions.append(
                PROMPTS,
                str(language),
                current,
                base=0,
                author=SEED_AUTHOR,
                message=f"as found in prompts/{language}.yaml",
                action="prompts.seed",
            )


def _prompt_file(catalog: FlowCatalog, language: str) -> str | None:
    path: Path = catalog.prompts_dir / f"{language}.yaml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
