"""Read `flows/*.yaml` into `Flow` models, keeping the line of every node and field.

Problems are collected, never raised one at a time: an admin fixing a flow
wants the whole list, each with file, flow, node and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ivr.flows.model import Flow
from ivr.flows.problems import FlowConfigError, FlowError, FlowFiles, PartialFlow
from ivr.flows.validate import node_problems
from ivr.yaml_lines import YamlDocument, YamlTooLarge, line_of, parse_yaml

# The discriminator values pydantic puts into error locations of a node.
_NODE_TAGS = frozenset(
    {
        "say",
        "menu",
        "language",
        "hours",
        "record",
        "route",
        "transfer",
        "subflow",
        "return",
        "callback",
        "survey",
        "hangup",
    }
)
# Fields the loader fills itself; an admin writing them is a mistake.
_LOADER_FIELDS = ("source", "lines", "field_lines")


def _describe(error: Any, rest: tuple[str, ...]) -> str:
    name = ".".join(rest)
    kind = error["type"]
    if kind == "missing":
        return f"'{name}' is required" if name else "a required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field '{name}'"
    message = str(error["msg"])
    return f"{name}: {message}" if name else message


def _pydantic_errors(
    exc: ValidationError, doc: YamlDocument, *, file: str, flow: str | None
) -> Iterator[FlowError]:
    for error in exc.errors():
        loc = tuple(str(part) for part in error["loc"])
        node: str | None = None
        rest = loc
        if len(loc) >= 2 and loc[0] == "nodes":
            node = loc[1]
            rest = loc[3:] if len(loc) >= 3 and loc[2] in _NODE_TAGS else loc[2:]
            line = line_of(doc, ("nodes", node, *rest))
        else:
            line = line_of(doc, loc)
        yield FlowError(file=file, flow=flow, node=node, line=line, message=_describe(error, rest))


def _duplicate_errors(doc: YamlDocument, *, file: str, flow: str | None) -> Iterator[FlowError]:
    for path, key, line, first in doc.duplicates:
        node = path[1] if len(path) >= 2 and path[0] == "nodes" else None
        if path == ("nodes",):
            node, what = key, f"node '{key}' is defined twice"
        elif path[-1:] == ("options",):
            what = f"key '{key}' is used twice in options"
        else:
            what = f"'{key}' appears twice in {'.'.join(path) or 'the file'}"
        yield FlowError(
            file=file, flow=flow, node=node, line=line, message=f"{what} (first on line {first})"
        )


def _fill_lines(flow: Flow, doc: YamlDocument) -> None:
    for path, line in doc.lines.items():
        if len(path) >= 2 and path[0] == "nodes":
            if len(path) == 2:
                flow.lines[path[1]] = line
            else:
                flow.field_lines[".".join(path[1:])] = line


def parse_flow(
    text: str, *, source: str, name: str | None = None
) -> tuple[Flow | None, list[FlowError]]:
    """Parse one flow file's text; the flow (None when unusable) and every problem found.

    `name` is the flow name the file must carry (its file name); a file
    without `name:` takes it. Duplicate keys are problems even though the
    flow itself can still be built.
    """
    flow, _, errors = parse_flow_partial(text, source=source, name=name)
    return flow, errors


def parse_flow_partial(
    text: str, *, source: str, name: str | None = None
) -> tuple[Flow | None, PartialFlow | None, list[FlowError]]:
    """`parse_flow`, plus what is left to check when the file has problems (else None).

    Pass the `PartialFlow` to `validate` (with the prompts) so the nodes that
    did parse get every check, prompt ids included.
    """
    try:
        doc = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if "alphabetic or numeric" in problem:
            problem += " (keys such as '*' are written in quotes: \"*\")"
        what = "too large" if isinstance(exc, YamlTooLarge) else "not YAML"
        error = FlowError(file=source, flow=name, line=line, message=f"{what}: {problem}")
        return None, None, [error]
    data = doc.data
    if not isinstance(data, dict):
        error = FlowError(file=source, flow=name, line=1, message="a flow file is a mapping")
        return None, None, [error]
    flow_name = data.get("name", name)
    label = str(flow_name) if flow_name is not None else name
    errors = list(_duplicate_errors(doc, file=source, flow=label))
    if name is not None and data.get("name", name) != name:
        errors.append(
            FlowError(
                file=source,
                flow=label,
                line=doc.lines.get(("name",)),
                message=f"name {data['name']!r} differs from the file name {name!r}",
            )
        )
    for key in _LOADER_FIELDS:
        if key in data:
            message = f"unknown field '{key}'"
            errors.append(
                FlowError(file=source, flow=label, line=doc.lines.get((key,)), message=message)
            )
    fields = {k: v for k, v in data.items() if k not in _LOADER_FIELDS}
    fields.setdefault("name", name)
    try:
        flow = Flow.model_validate(fields)
    except ValidationError as exc:
        node_errors = list(_pydantic_errors(exc, doc, file=source, flow=label))
        errors.extend(node_errors)
        stand_in = _stand_in(fields, node_errors, doc, source=source)
        if stand_in is None:
            return None, None, errors
        broken = frozenset(e.node for e in node_errors if e.node is not None)
        errors.extend(_node_problems(stand_in, broken))
        return None, PartialFlow(stand_in, broken, tuple(errors)), errors
    flow.source = source
    _fill_lines(flow, doc)
    partial = PartialFlow(flow, frozenset(), tuple(errors)) if errors else None
    return flow, partial, errors


def _stand_in(
    fields: dict[str, Any], node_errors: list[FlowError], doc: YamlDocument, *, source: str
) -> Flow | None:
    """The flow with its malformed nodes stood in by plain hang-ups, or None.

    The stand-ins keep their ids, so targets naming them resolve; None when
    the flow itself (not only some nodes) is malformed.
    """
    broken = {e.node for e in node_errors}
    nodes = fields.get("nodes")
    if None in broken or not isinstance(nodes, dict):
        return None
    stand_in = {"type": "hangup"}
    patched = {nid: stand_in if nid in broken else node for nid, node in nodes.items()}
    try:
        flow = Flow.model_validate({**fields, "nodes": patched})
    except ValidationError:
        return None
    flow.source = source
    _fill_lines(flow, doc)
    return flow


def _node_problems(flow: Flow, broken: frozenset[str]) -> list[FlowError]:
    """The problems of the well-formed nodes that need neither prompts nor other flows.

    So an admin sees every error at once; graph problems (unreachable nodes,
    loops) are left out, since a stand-in can cause or hide them.
    """
    return node_problems(flow, None, skip=broken)


def read_flow_files(directory: Path) -> tuple[FlowFiles, list[FlowError]]:
    """Every flow in `directory` that parses, and every problem found in any file.

    Files with problems are not among the flows, but in their `partial`, for `validate`.
    """
    flows = FlowFiles()
    errors: list[FlowError] = []
    if not directory.is_dir():
        return flows, [FlowError(file=str(directory), message="no such flows directory")]
    for path in sorted(directory.glob("*.yaml")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(FlowError(file=str(path), flow=path.stem, message=f"unreadable: {exc}"))
            continue
        flow, partial, problems = parse_flow_partial(text, source=str(path), name=path.stem)
        errors.extend(problems)
        if flow is not None and not problems:
            flows[flow.name] = flow
        elif partial is not None:
            flows.partial[str(path)] = partial
    if not flows and not errors:
        errors.append(FlowError(file=str(directory), message="no flow files (*.yaml) found"))
    return flows, errors


def load_flows(directory: Path) -> dict[str, Flow]:
    """Every flow in `directory` by name; FlowConfigError (a ConfigError) lists every problem."""
    flows, errors = read_flow_files(directory)
    if errors:
        raise FlowConfigError(errors)
    return flows
