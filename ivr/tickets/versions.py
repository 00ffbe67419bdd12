"""Published versions of what admins edit (flows, a language's prompts), kept for good.

Each publish adds version N+1 on top of the version the admin started from;
the primary key (kind, name, version) makes the database refuse a second
publish on top of the same version, so two admins racing cannot both win and
neither change is lost silently: the loser is told (ConflictError, 409).
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ivr.errors import ConflictError, NotFoundError
from ivr.tickets import audit
from ivr.tickets.models import ConfigVersion

MAX_MESSAGE_CHARS = 500


class VersionInfo(BaseModel):
    """One published version, without its text."""

    kind: str
    name: str
    version: int
    author: str
    message: str
    created_at: float


class Version(VersionInfo):
    """One published version with its text."""

    text: str


def _info(row: ConfigVersion) -> VersionInfo:
    return VersionInfo(
        kind=row.kind,
        name=row.name,
        version=row.version,
        author=row.author,
        message=row.message,
        created_at=row.created_at,
    )


def _full(row: ConfigVersion) -> Version:
    return Version(**_info(row).model_dump(), text=row.text)


class VersionStore:
    """Reads and appends versions in the ticket store's database."""

    def __init__(self, *, sessions: Callable[[], AsyncSession]) -> None:
        self._sessions = sessions

    async def latest(self, kind: str, name: str) -> Version | None:
        """The newest version of `name`, or None when it was never published."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(ConfigVersion)
                .where(ConfigVersion.kind == kind, ConfigVersion.name == name)
                .order_by(ConfigVersion.version.desc())
                .limit(1)
            )
        return _full(row) if row is not None else None

    async def get(self, kind: str, name: str, version: int) -> Version:
        """Version `version` of `name`; NotFoundError when there is none."""
        async with self._sessions() as session:
            row = await session.get(ConfigVersion, (kind, name, version))
        if row is None:
            raise NotFoundError(f"{kind} version", f"{name} v{version}")
        return _full(row)

    async def history(self, kind: str, name: str, *, limit: int = 200) -> list[VersionInfo]:
        """The versions of `name`, newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(ConfigVersion)
                .where(ConfigVersion.kind == kind, ConfigVersion.name == name)
                .order_by(ConfigVersion.version.desc())
                .limit(limit)
            )
            return [_info(row) for row in rows]

    async def latest_numbers(self, kind: str) -> dict[str, int]:
        """Name -> newest version number, for every name of `kind` ever published."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(ConfigVersion.name, func.max(ConfigVersion.version))
                .where(ConfigVersion.kind == kind)
                .group_by(ConfigVersion.name)
            )
            return {name: int(version) for name, version in rows.all()}

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
    ) -> Version:
        """Store version `base + 1`; ConflictError when someone published on top of `base` first.

        With `action`, the audit entry is written in the same transaction, so a
        version never exists without its record.
        """
        now = time.time()
        row = ConfigVersion(
            kind=kind,
            name=name,
            version=base + 1,
            text=text,
            author=author[:64],
            message=message.strip()[:MAX_MESSAGE_CHARS],
            created_at=now,
        )
        try:
            async with self._sessions() as session, session.begin():
                newest = await session.scalar(
                    select(func.max(ConfigVersion.version)).where(
                        ConfigVersion.kind == kind, ConfigVersion.name == name
                    )
                )
                if int(newest or 0) != base:
                    raise _changed(kind, name, base, int(newest or 0))
                session.add(row)
                if action is not None:
                    session.add(
                        audit.entry(
                            author,
                            action,
                            f"{kind}:{name}",
                            {"version": base},
                            {"version": base + 1, "message": row.message},
                            summary=summary,
                            at=now,
                        )
                    )
        except IntegrityError:
            # Another publish took version base + 1 between our read and our insert.
            raise _changed(kind, name, base, base + 1) from None
        return _full(row)


def _changed(kind: str, name: str, base: int, newest: int) -> ConflictError:
    return ConflictError(
        f"{kind} {name!r} changed under you: you edited version {base}, "
        f"version {newest} is the newest now; reload it and apply your change again"
    )


def diff(old: Version, new: Version) -> str:
    """A unified diff from `old` to `new` (empty when their texts are equal)."""
    return "".join(
        difflib.unified_diff(
            old.text.splitlines(keepends=True),
            new.text.splitlines(keepends=True),
            fromfile=f"{old.name} v{old.version}",
            tofile=f"{new.name} v{new.version}",
        )
    )
