"""Check flows as a graph: every problem with its file, node and line.

Problems the model cannot see node by node: targets that do not exist,
sub-flows that do not exist, nodes no caller reaches, nodes with nowhere to
go, loops with no way out, keys that collide, prompts missing in a language,
languages without prompts, hours that cannot be read, and a confirmation
threshold on a record node that never reads words back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ivr.bank_time import zone
from ivr.errors import ConfigError
from ivr.flows.hours import span_problem
from ivr.flows.loops import is_dead_end, labelled_targets, menus_never_left, reachable, trapped
from ivr.flows.model import (
    DIGITS,
    Flow,
    HoursNode,
    LanguageNode,
    MenuNode,
    Node,
    RecordNode,
    SubflowNode,
    SurveyNode,
)
from ivr.flows.problems import FlowError, FlowFiles, PartialFlow
from ivr.prompts.model import PromptCatalog

__all__ = [
    "FlowError",
    "check_partial",
    "labelled_targets",
    "node_problems",
    "prompt_ids",
    "validate",
]


def prompt_ids(node: Node) -> list[tuple[str, str]]:
    """(field, prompt id) for every prompt `node` may play."""
    found: list[tuple[str, str]] = []
    if node.prompt is not None:
        found.append(("prompt", node.prompt))
    if isinstance(node, MenuNode):
        found.extend((("no_input", node.no_input), ("no_match", node.no_match)))
    if isinstance(node, SurveyNode):
        found.append(("thanks", node.thanks))
    return found


def retry_prompts(flows: Mapping[str, Flow]) -> list[tuple[str, str]]:
    """(where, prompt id) of every retry prompt the flows name: what a caller hears when
    not understood (a menu's no_input and no_match), for `ivr prompts lint`."""
    found: list[tuple[str, str]] = []
    for flow in flows.values():
        for node_id, node in flow.nodes.items():
            if isinstance(node, MenuNode):
                found.append((f"{flow.name}/{node_id} no_input", node.no_input))
                found.append((f"{flow.name}/{node_id} no_match", node.no_match))
    return found


class _Report:
    """Collects the problems of one flow, placing each on its line."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self.errors: list[FlowError] = []

    def add(self, node: str | None, message: str, *fields: str) -> None:
        line = None
        if node is not None:
            path = node
            places = []
            for part in fields:
                path = f"{path}.{part}"
                places.append(path)
            for place in reversed(places):
                line = self.flow.field_lines.get(place)
                if line is not None:
                    break
            if line is None:
                line = self.flow.lines.get(node)
        self.errors.append(
            FlowError(
                file=self.flow.source or f"{self.flow.name}.yaml",
                flow=self.flow.name,
                node=node,
                line=line,
                message=message,
            )
        )


def validate(
    flows: Mapping[str, Flow],
    prompts: PromptCatalog | None,
    partial: Iterable[PartialFlow] | None = None,
) -> list[FlowError]:
    """Every problem in `flows` (checked together, for sub-flows); prompt checks need `prompts`.

    `partial` are flow files with problems (by default the `partial` of a
    `FlowFiles` from `read_flow_files`): their parsed nodes are checked too,
    and only problems the loader has not reported already are added.
    """
    if partial is None:
        partial = flows.partial.values() if isinstance(flows, FlowFiles) else ()
    errors: list[FlowError] = []
    for flow in flows.values():
        report = _Report(flow)
        _check_nodes(report, flows, prompts)
        _check_graph(report)
        errors.extend(report.errors)
    for part in partial:
        errors.extend(check_partial(part, flows, prompts))
    return errors


def check_partial(
    part: PartialFlow, flows: Mapping[str, Flow], prompts: PromptCatalog | None
) -> list[FlowError]:
    """The problems of a flow file with problems the loader has not reported.

    Its well-formed nodes get every node check (prompts, sub-flows, keys,
    targets); the graph checks do not run, since a stand-in node or a key
    written twice can cause or hide a graph problem.
    """
    report = _Report(part.flow)
    others = {**flows, part.flow.name: part.flow}
    _check_nodes(report, others, prompts, skip=part.broken)
    reported = set(part.reported)
    return [problem for problem in report.errors if problem not in reported]


def node_problems(
    flow: Flow, prompts: PromptCatalog | None, *, skip: Iterable[str] = ()
) -> list[FlowError]:
    """The problems of `flow`'s nodes (but those in `skip`) seen node by node.

    Sub-flows are not checked (they need the other flows), nor the graph.
    """
    report = _Report(flow)
    _check_nodes(report, None, prompts, skip=frozenset(skip))
    return report.errors


def _check_nodes(
    report: _Report,
    flows: Mapping[str, Flow] | None,
    prompts: PromptCatalog | None,
    *,
    skip: frozenset[str] = frozenset(),
) -> None:
    """Each node's own problems; sub-flows only when `flows` (every flow by name) is given."""
    flow = report.flow
    for node_id, node in flow.nodes.items():
        if node_id in skip:
            continue
        for label, target in labelled_targets(node):
            if target not in flow.nodes:
                message = f"'{label}' leads to unknown node '{target}'"
                report.add(node_id, message, *_field_of(node, label))
        if isinstance(node, SubflowNode):
            if flows is not None:
                _check_subflow(report, node_id, node, flows)
        elif isinstance(node, MenuNode):
            _check_menu(report, node_id, node)
        elif isinstance(node, LanguageNode):
            _check_language(report, node_id, node, prompts)
        elif isinstance(node, HoursNode):
            _check_hours(report, node_id, node)
        elif isinstance(node, RecordNode):
            _check_record(report, node_id, node)
        if prompts is not None:
            _check_prompts(report, node_id, node, prompts)


def _field_of(node: Node, label: str) -> tuple[str, ...]:
    """The YAML field path (('options', '1'), ('on_fail',)) a target label came from."""
    if label in ("next", "open", "closed"):
        return (label,)
    if label == "fail":
        return ("on_fail",)
    if label == "unserved":
        return ("unserved",)
    if label == "empty":
        return ("on_empty",)
    if label == "unsure":
        return ("on_unsure",)
    if isinstance(node, MenuNode) and label in node.options:
        return ("options", label)
    return ("speech", label)


def _check_subflow(
    report: _Report, node_id: str, node: SubflowNode, flows: Mapping[str, Flow]
) -> None:
    if node.flow == report.flow.name:
        report.add(node_id, f"sub-flow '{node.flow}' is the flow itself", "flow")
    elif node.flow not in flows:
        known = ", ".join(sorted(flows)) or "none"
        report.add(node_id, f"unknown sub-flow '{node.flow}' (flows: {known})", "flow")
    else:
        circle = _subflow_circle(flows, node.flow, report.flow.name)
        if circle:
            path = " -> ".join([report.flow.name, *circle])
            report.add(node_id, f"sub-flows run each other in a circle: {path}", "flow")


def _subflow_circle(flows: Mapping[str, Flow], start: str, home: str) -> list[str]:
    """The chain of flows from `start` that runs `home` again as a sub-flow, or []."""
    trail: dict[str, str | None] = {start: None}
    todo = [start]
    while todo:
        current = todo.pop()
        for node in flows[current].nodes.values():
            if not isinstance(node, SubflowNode) or node.flow not in flows:
                continue
            if node.flow == home:
                chain = [home, current]
                while (before := trail[chain[-1]]) is not None:
                    chain.append(before)
                return chain[::-1]
            if node.flow not in trail:
                trail[node.flow] = current
                todo.append(node.flow)
    return []


def _check_menu(report: _Report, node_id: str, node: MenuNode) -> None:
    for key in node.options:
        if key == "*" and node.repeat_key:
            report.add(
                node_id,
                "option '*' collides with repeat_key ('*' repeats the menu)",
                "options",
                key,
            )
        if key == "0" and node.agent_key:
            report.add(
                node_id,
                "option '0' collides with agent_key ('0' asks for an agent)",
                "options",
                key,
            )
        if len(key) > node.num_digits:
            report.add(
                node_id,
                f"option '{key}' needs {len(key)} keys; num_digits is {node.num_digits}",
                "options",
                key,
            )
    if node.speech and node.input == "dtmf":
        report.add(node_id, "speech topics are given while input is 'dtmf' only", "speech")
    if node.options and node.input == "speech":
        report.add(node_id, "key options are given while input is 'speech' only", "options")


def _check_language(
    report: _Report, node_id: str, node: LanguageNode, prompts: PromptCatalog | None
) -> None:
    if not node.options:
        report.add(node_id, "a language node offers no languages", "options")
    for key, language in node.options.items():
        if not key or any(ch not in DIGITS for ch in key):
            report.add(
                node_id, f"option key {key!r} is not a key sequence (0-9, *, #)", "options", key
            )
        if prompts is not None and language not in prompts.sets:
            report.add(node_id, f"language '{language}' has no prompts", "options", key)
    if prompts is not None and node.default not in prompts.sets:
        report.add(node_id, f"default language '{node.default}' has no prompts", "default")


def _check_hours(report: _Report, node_id: str, node: HoursNode) -> None:
    try:
        zone(node.timezone)
    except ConfigError as exc:
        report.add(node_id, str(exc), "timezone")
    for day, spans in node.weekly.items():
        for span in spans:
            problem = span_problem(span)
            if problem is not None:
                report.add(node_id, f"{day}: {problem}", "weekly", day)


def _check_record(report: _Report, node_id: str, node: RecordNode) -> None:
    # Only a describe step reads the caller's words back; an admin who sets the threshold
    # on a voicemail expects a confirmation no caller would ever hear.
    if node.purpose == "voicemail" and "confirm_below" in node.model_fields_set:
        report.add(
            node_id,
            "confirm_below applies to 'purpose: describe' only: a voicemail is kept as "
            "left, never read back to the caller",
            "confirm_below",
        )


def _check_prompts(report: _Report, node_id: str, node: Node, prompts: PromptCatalog) -> None:
    for field, prompt_id in prompt_ids(node):
        missing = [str(lang) for lang in prompts.sets if not prompts.has(prompt_id, lang)]
        if missing:
            report.add(node_id, f"prompt '{prompt_id}' is missing in {', '.join(missing)}", field)


def _check_graph(report: _Report) -> None:
    flow = report.flow
    if flow.start not in flow.nodes:
        report.add(None, f"start node '{flow.start}' does not exist")
        return
    reached = reachable(flow, flow.start)
    for node_id in flow.nodes:
        if node_id not in reached:
            report.add(node_id, f"unreachable: no path from the start node '{flow.start}'")
    dead = {node_id for node_id, node in flow.nodes.items() if is_dead_end(node)}
    for node_id in sorted(dead & reached, key=list(flow.nodes).index):
        report.add(node_id, "dead end: a menu with no options, no speech topics and no 'next'")
    trapped_ids = list(trapped(flow, reached, dead))
    for node_id in trapped_ids:
        report.add(
            node_id,
            "loop with no exit: every path from here comes back without reaching "
            "a route, transfer, hangup, return or survey",
        )
    for node_id in menus_never_left(flow, reached, dead, skip=set(trapped_ids)):
        report.add(
            node_id,
            "menu can never be left: every option and the failure path lead back to it "
            "(give an option or 'on_fail' that reaches a route, transfer, hangup or return)",
        )
