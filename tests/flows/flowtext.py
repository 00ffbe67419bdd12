"""Helpers for flow tests: write YAML snippets into a folder and find their lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ivr.flows.loader import read_flow_files
from ivr.flows.problems import FlowError
from ivr.flows.validate import validate
from ivr.prompts.model import PromptCatalog


def write(folder: Path, name: str, text: str) -> str:
    """Write flow `name` (dedented) into `folder`; the text as written."""
    folder.mkdir(parents=True, exist_ok=True)
    body = textwrap.dedent(text).lstrip("\n")
    (folder / f"{name}.yaml").write_text(body, encoding="utf-8")
    return body


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the `nth` line of `text` holding `needle`."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def problems(folder: Path, prompts: PromptCatalog | None = None) -> list[FlowError]:
    """Every load and validation problem of the flows in `folder`."""
    flows, errors = read_flow_files(folder)
    return errors + validate(flows, prompts)
