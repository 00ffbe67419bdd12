"""Draw a flow as SVG, with no graphviz: a layered layout written by hand.

Columns are the breadth-first distance from the start node; nodes no caller
reaches go in a last column of their own. Arrows carry the key, topic or
branch that takes them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import deque

from ivr.flows.model import Flow, Node
from ivr.flows.validate import labelled_targets

BOX_W, BOX_H = 190, 50
COL_GAP, ROW_GAP = 110, 36
MARGIN, TITLE_H = 30, 40
SVG_NS = "http://www.w3.org/2000/svg"

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
    "hangup": "#f3f4f6",
    "return": "#f3f4f6",
}


def layout(flow: Flow) -> dict[str, tuple[int, int]]:
    """Node id -> (column, row): breadth-first depth from the start, unreachable ones last."""
    depth: dict[str, int] = {}
    if flow.start in flow.nodes:
        depth[flow.start] = 0
        todo = deque([flow.start])
        while todo:
            current = todo.popleft()
            for _, target in labelled_targets(flow.nodes[current]):
                if target in flow.nodes and target not in depth:
                    depth[target] = depth[current] + 1
                    todo.append(target)
    last = max(depth.values(), default=-1) + 1
    rows: dict[int, int] = {}
    places: dict[str, tuple[int, int]] = {}
    for node_id in sorted(flow.nodes, key=lambda n: (depth.get(n, last), _order(flow, n))):
        column = depth.get(node_id, last)
        places[node_id] = (column, rows.get(column, 0))
        rows[column] = rows.get(column, 0) + 1
    return places


def _order(flow: Flow, node_id: str) -> int:
    return list(flow.nodes).index(node_id)


def _detail(node: Node) -> str:
    """A short second line under the node id."""
    extra = getattr(node, "topic", None) or getattr(node, "flow", None)
    if extra is None and node.type == "hours":
        extra = getattr(node, "timezone", None)
    return f"{node.type}: {extra}" if extra else node.type


def _corner(place: tuple[int, int]) -> tuple[int, int]:
    column, row = place
    return MARGIN + column * (BOX_W + COL_GAP), MARGIN + TITLE_H + row * (BOX_H + ROW_GAP)


def render_svg(flow: Flow) -> str:
    """The SVG drawing of `flow` as text (UTF-8, standalone)."""
    places = layout(flow)
    columns = max((c for c, _ in places.values()), default=0) + 1
    rows = max((r for _, r in places.values()), default=0) + 1
    width = 2 * MARGIN + columns * BOX_W + (columns - 1) * COL_GAP
    height = 2 * MARGIN + TITLE_H + rows * BOX_H + (rows - 1) * ROW_GAP + ROW_GAP
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    _defs(svg)
    title = ET.SubElement(svg, "text", {"x": str(MARGIN), "y": str(MARGIN + 4), "font-size": "18"})
    title.text = f"flow: {flow.name}" + (f" (start: {flow.start})" if flow.start else "")
    edges = ET.SubElement(svg, "g", {"class": "edges"})
    arriving: dict[str, int] = {}
    for (source, target), labels in _edges(flow).items():
        nth = arriving.get(target, 0)
        arriving[target] = nth + 1
        _edge(edges, places[source], places[target], ", ".join(labels), nth=nth)
    boxes = ET.SubElement(svg, "g", {"class": "nodes"})
    for node_id, node in flow.nodes.items():
        _box(boxes, node_id, node, places[node_id], start=node_id == flow.start)
    body: str = ET.tostring(svg, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _edges(flow: Flow) -> dict[tuple[str, str], list[str]]:
    """(source, target) -> the labels of every way between them, so each pair is one arrow."""
    found: dict[tuple[str, str], list[str]] = {}
    for node_id, node in flow.nodes.items():
        for label, target in labelled_targets(node):
            if target in flow.nodes:
                found.setdefault((node_id, target), []).append(label)
    return found


def _defs(svg: ET.Element) -> None:
    defs = ET.SubElement(svg, "defs")
    marker = ET.SubElement(
        defs,
        "marker",
        {
            "id": "arrow",
            "viewBox": "0 0 10 10",
            "refX": "10",
            "refY": "5",
            "markerWidth": "7",
            "markerHeight": "7",
            "orient": "auto-start-reverse",
        },
    )
    ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": "#374151"})


def _box(
    parent: ET.Element, node_id: str, node: Node, place: tuple[int, int], *, start: bool
) -> None:
    x, y = _corner(place)
    group = ET.SubElement(parent, "g", {"class": f"node {node.type}", "id": f"node-{node_id}"})
    ET.SubElement(group, "title").text = f"{node_id} ({node.type})"
    ET.SubElement(
        group,
        "rect",
        {
            "x": str(x),
            "y": str(y),
            "width": str(BOX_W),
            "height": str(BOX_H),
            "rx": "8",
            "fill": _FILL.get(node.type, "#f9fafb"),
            "stroke": "#111827" if start else "#6b7280",
            "stroke-width": "2.5" if start else "1",
        },
    )
    name = ET.SubElement(group, "text", {"x": str(x + 10), "y": str(y + 20), "font-weight": "bold"})
    name.text = node_id
    detail = ET.SubElement(group, "text", {"x": str(x + 10), "y": str(y + 38), "fill": "#4b5563"})
    detail.text = _detail(node)


def _edge(
    parent: ET.Element, source: tuple[int, int], target: tuple[int, int], label: str, *, nth: int
) -> None:
    sx, sy = _corner(source)
    tx, ty = _corner(target)
    group = ET.SubElement(parent, "g", {"class": "edge"})
    anchor = "end"
    if target[0] > source[0]:
        x1, y1, x2, y2 = sx + BOX_W, sy + BOX_H // 2, tx, ty + BOX_H // 2
        bend = (x2 - x1) // 2
        d = f"M {x1} {y1} C {x1 + bend} {y1}, {x2 - bend} {y2}, {x2} {y2}"
        # Labels sit by the arrow head, stacked when several arrows arrive at one node.
        lx, ly = x2 - 8, y2 - 5 - 13 * nth
    elif target[0] == source[0] and target[1] > source[1]:
        x1, y1, x2, y2 = sx + BOX_W // 2, sy + BOX_H, tx + BOX_W // 2, ty
        d = f"M {x1} {y1} L {x2} {y2}"
        lx, ly, anchor = x1 + 6, (y1 + y2) // 2 + 4, "start"
    else:
        # Back or upwards: leave from the bottom, loop under, arrive at the target's bottom.
        x1, y1, x2, y2 = sx + BOX_W // 2, sy + BOX_H, tx + BOX_W // 2 + 12, ty + BOX_H
        low = max(y1, y2) + ROW_GAP - 6
        d = f"M {x1} {y1} C {x1} {low}, {x2} {low}, {x2} {y2}"
        lx, ly, anchor = (x1 + x2) // 2, low - 6, "middle"
    ET.SubElement(
        group,
        "path",
        {"d": d, "fill": "none", "stroke": "#374151", "marker-end": "url(#arrow)"},
    )
    text = ET.SubElement(
        group,
        "text",
        {"x": str(lx), "y": str(ly), "text-anchor": anchor, "fill": "#1d4ed8", "font-size": "11"},
    )
    text.text = label
