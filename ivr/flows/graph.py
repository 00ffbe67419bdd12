"""Draw a flow as SVG with Graphviz (`dot`), the one drawing the CLI and the studio share.

The flow becomes DOT text here, every label escaped, and `dot -Tsvg` lays it
out: edge labels get room of their own, so they never overlap. `dot` runs as
a subprocess with a timeout, at most two at once (it is CPU-bound and the
studio redraws as an admin types).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections.abc import Iterable

from ivr.errors import IvrError
from ivr.flows.model import Flow, Node
from ivr.flows.validate import labelled_targets

DOT_TIMEOUT_SECONDS = 10.0
_DRAWING = threading.BoundedSemaphore(2)
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_-]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Fill per node type: input nodes blue, ends green, branches yellow, other steps grey.
_FILL = {
    "menu": "#dbeafe",
    "language": "#dbeafe",
    "survey": "#dbeafe",
    "record": "#e0e7ff",
    "hours": "#fef3c7",
    "subflow": "#fef3c7",
    "route": "#dcfce7",
    "transfer": "#dcfce7",
    "callback": "#dcfce7",
    "hangup": "#f3f4f6",
    "return": "#f3f4f6",
}


class DrawingError(IvrError):
    """Graphviz is missing, failed or took too long."""


def quoted(*lines: str) -> str:
    """`lines` as one DOT quoted string, a line each.

    Backslashes are doubled (so label escapes such as \\N or \\G stay text), quotes
    escaped, control characters blanked; DOT's own escape makes each line break.
    """
    escaped = (_CONTROL.sub(" ", line).replace("\\", "\\\\").replace('"', '\\"') for line in lines)
    return '"' + "\\n".join(escaped) + '"'


def _svg_id(node_id: str) -> str:
    return "node-" + _UNSAFE_ID.sub("_", node_id)


def _detail(node: Node) -> str:
    """A short second line under the node id."""
    extra = getattr(node, "topic", None) or getattr(node, "flow", None)
    if extra is None and node.type == "hours":
        extra = getattr(node, "timezone", None)
    return f"{node.type}: {extra}" if extra else node.type


def _reachable(flow: Flow) -> set[str]:
    seen = {flow.start} if flow.start in flow.nodes else set()
    todo = list(seen)
    while todo:
        for _, target in labelled_targets(flow.nodes[todo.pop()]):
            if target in flow.nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def dot_source(flow: Flow, *, marked: Iterable[str] = ()) -> str:
    """The DOT text of `flow`; nodes in `marked` (e.g. those with errors) are outlined red."""
    marked = set(marked)
    reached = _reachable(flow)
    title = f"flow: {flow.name}" + (f" (start: {flow.start})" if flow.start else "")
    lines = [
        "digraph flow {",
        f"  graph [rankdir=LR, fontname=sans, fontsize=16, labelloc=t, label={quoted(title)},"
        " nodesep=0.35, ranksep=0.6];",
        '  node [shape=box, style="rounded,filled", fontname=sans, fontsize=11, color="#6b7280"];',
        '  edge [fontname=sans, fontsize=10, fontcolor="#1d4ed8", color="#374151"];',
    ]
    for node_id, node in flow.nodes.items():
        style = '"rounded,filled"' if node_id in reached else '"rounded,filled,dashed"'
        attrs = [
            f"label={quoted(node_id, _detail(node))}",
            f"id={quoted(_svg_id(node_id))}",
            f"fillcolor={quoted(_FILL.get(node.type, '#f9fafb'))}",
            f"style={style}",
        ]
        if node_id == flow.start:
            attrs.append('penwidth=2.5, color="#111827"')
        if node_id in marked:
            attrs.append('penwidth=2.5, color="#dc2626"')
        lines.append(f"  {quoted(node_id)} [{', '.join(attrs)}];")
    for (source, target), labels in _edges(flow).items():
        lines.append(f"  {quoted(source)} -> {quoted(target)} [label={quoted(', '.join(labels))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges(flow: Flow) -> dict[tuple[str, str], list[str]]:
    """(source, target) -> the labels of every way between them, so each pair is one arrow."""
    found: dict[tuple[str, str], list[str]] = {}
    for node_id, node in flow.nodes.items():
        for label, target in labelled_targets(node):
            if target in flow.nodes:
                found.setdefault((node_id, target), []).append(label)
    return found


def render_svg(
    flow: Flow, *, marked: Iterable[str] = (), timeout: float = DOT_TIMEOUT_SECONDS
) -> str:
    """The SVG drawing of `flow` (standalone, UTF-8); DrawingError when `dot` cannot make it."""
    dot = shutil.which("dot")
    if dot is None:
        raise DrawingError("Graphviz 'dot' is not installed (Debian: apt-get install graphviz)")
    with _DRAWING:
        try:
            done = subprocess.run(
                [dot, "-Tsvg"],
                input=dot_source(flow, marked=marked).encode(),
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DrawingError(
                f"Graphviz took longer than {timeout:g} s to draw the flow"
            ) from None
    if done.returncode != 0:
        problem = done.stderr.decode(errors="replace").strip()[:300]
        raise DrawingError(f"Graphviz could not draw the flow: {problem}")
    return done.stdout.decode("utf-8")
