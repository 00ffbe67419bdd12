"""`ivr flows graph`: a valid SVG naming every node, with labelled arrows."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import typer
from typer.testing import CliRunner

from ivr.cli import flows as flows_cli
from ivr.config import PROJECT_DIR
from ivr.flows.graph import dot_source, render_svg
from ivr.flows.loader import load_flows, parse_flow
from tests.flows.flowtext import write

SVG = "{http://www.w3.org/2000/svg}"

TEXT = """
name: g
start: menu
nodes:
  menu:
    type: menu
    prompt: hello
    options: {"1": agent, "2": intro}
    speech: {loans: agent}
  intro:
    type: say
    prompt: hi
    next: menu
  agent:
    type: route
    topic: general
  island:
    type: hangup
"""


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg.encode())
    assert root.tag == SVG + "svg"
    return [el.text or "" for el in root.iter(SVG + "text")]


def test_every_node_and_every_label_is_drawn() -> None:
    flow, _ = parse_flow(TEXT, source="g.yaml", name="g")
    assert flow is not None
    drawn = texts(render_svg(flow))
    for node_id in flow.nodes:
        assert node_id in drawn
    # The two ways from menu to agent share one arrow and one label.
    assert "1, loans" in drawn
    assert "2" in drawn and "next" in drawn


def test_nodes_no_caller_reaches_are_dashed_and_marked_ones_red() -> None:
    flow, _ = parse_flow(TEXT, source="g.yaml", name="g")
    assert flow is not None
    root = ET.fromstring(render_svg(flow, marked={"intro"}).encode())
    shapes = {
        group.get("id"): group.find(f".//{SVG}path")
        for group in root.iter(SVG + "g")
        if (group.get("id") or "").startswith("node-")
    }
    assert set(shapes) == {"node-menu", "node-intro", "node-agent", "node-island"}
    island, intro, agent = shapes["node-island"], shapes["node-intro"], shapes["node-agent"]
    assert island is not None and intro is not None and agent is not None
    assert island.get("stroke-dasharray") and not agent.get("stroke-dasharray")
    assert intro.get("stroke") == "#dc2626" and agent.get("stroke") != "#dc2626"


def test_labels_are_text_whatever_an_admin_typed() -> None:
    hostile = TEXT.replace("island:", "'is\\N\"land<b>':")
    flow, problems = parse_flow(hostile, source="g.yaml", name="g")
    assert flow is not None, problems
    node_id = next(n for n in flow.nodes if n.startswith("is"))
    assert "\\\\N" in dot_source(flow)  # \N stays text, not "the node's name"
    assert node_id in texts(render_svg(flow))


def test_every_shipped_flow_draws() -> None:
    for flow in load_flows(PROJECT_DIR / "flows").values():
        drawn = texts(render_svg(flow))
        assert set(flow.nodes) <= set(drawn)


def test_the_command_writes_the_file(tmp_path: Path) -> None:
    write(tmp_path / "flows", "g", TEXT)
    app = typer.Typer()
    flows_cli.register(app)
    out = tmp_path / "g.svg"
    result = CliRunner().invoke(
        app, ["flows", "graph", "g", "-o", str(out), "--dir", str(tmp_path / "flows")]
    )
    assert result.exit_code == 0, result.output
    assert "island" in texts(out.read_text(encoding="utf-8"))
    missing = CliRunner().invoke(app, ["flows", "graph", "nope", "--dir", str(tmp_path / "flows")])
    assert missing.exit_code == 1
    assert "no usable flow 'nope'" in missing.output
