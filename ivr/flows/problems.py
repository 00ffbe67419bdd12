"""What can be wrong with flow files, and the flows read in spite of it.

The loader finds problems, the validator adds to them, the catalogue and the API
report them: all three import these types from here, so the loader and the
validator need not import each other's modules both ways.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from ivr.errors import ProblemsError, placed
from ivr.flows.model import Flow


class FlowError(BaseModel):
    """One problem in a flow file, with its place."""

    model_config = ConfigDict(frozen=True)

    file: str
    flow: str | None = None
    node: str | None = None
    line: int | None = None
    message: str

    def __str__(self) -> str:
        return placed(self.file, self.line, (self.flow, self.node), self.message)


class FlowConfigError(ProblemsError):
    """Flow files that cannot be used; `errors` lists every problem."""

    def __init__(self, errors: Iterable[FlowError]) -> None:
        self.errors = list(errors)
        super().__init__(self.errors, what="flows")


@dataclass(frozen=True)
class PartialFlow:
    """A flow file with problems, kept so the validator can still check what parsed.

    `flow` is the flow with each malformed node (`broken`) stood in by a plain
    hang-up; `reported` are the problems the loader already found in the file,
    so the validator adds only new ones.
    """

    flow: Flow
    broken: frozenset[str]
    reported: tuple[FlowError, ...]


class FlowFiles(dict[str, Flow]):
    """The usable flows of a folder by name; `partial` holds the files with problems.

    `validate(flows, prompts)` checks the parsed nodes of `partial` too, so a
    broken node never hides another node's problem (a prompt missing, say).
    """

    def __init__(self) -> None:
        super().__init__()
        self.partial: dict[str, PartialFlow] = {}
