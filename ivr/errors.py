"""The one small family of domain errors.

Webhook handlers turn any of them into TwiML a caller can hear; API handlers
turn them into JSON naming the field at fault.
"""

from __future__ import annotations

from collections.abc import Iterable


class IvrError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(IvrError):
    """A setting, flow, prompt or policy file is invalid; the message names where."""


def placed(file: str, line: int | None, where: tuple[str | None, ...], message: str) -> str:
    """`file:line: a/b: message`, the form every configuration problem is named in."""
    place = file + (f":{line}" if line else "")
    inside = "/".join(part for part in where if part)
    return f"{place}: {inside + ': ' if inside else ''}{message}"


class ProblemsError(ConfigError):
    """Configuration files that cannot be used; `problems` lists every one."""

    def __init__(self, problems: Iterable[object], *, what: str) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the {what}:\n{lines}")


class NotFoundError(IvrError):
    """A named thing (agent, ticket, flow, call) does not exist."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"unknown {kind}: {ident!r}")
        self.kind = kind
        self.ident = ident


class InvalidInputError(IvrError):
    """Input from a caller, client or admin was rejected; `field` names the culprit."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(IvrError):
    """A change lost a race with another change (e.g. two admins editing one agent)."""


class AudioError(IvrError):
    """A recording could not be fetched, decoded or transcribed."""


class UnavailableError(IvrError):
    """A backing service (Redis, the ticket store) does not answer."""
