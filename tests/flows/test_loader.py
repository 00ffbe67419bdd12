"""The flow loader: typed flows, lines kept, and every problem with file, node and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from ivr.errors import ConfigError
from ivr.flows.loader import load_flows, parse_flow, read_flow_files
from ivr.flows.model import MenuNode
from ivr.flows.problems import FlowConfigError
from tests.flows.flowtext import line_of, write

TEXT = """
# a comment first, so lines are not trivially counted
name: t
start: menu
nodes:
  menu:
    type: menu
    prompt: hello
    options:
      1: agent
      01: agent
      "*": agent
    repeat_key: false
    num_digits: 2
  agent:
    type: route
    topic: general
"""


def test_loads_typed_nodes_with_their_lines(tmp_path: Path) -> None:
    text = write(tmp_path, "t", TEXT)
    flows = load_flows(tmp_path)
    flow = flows["t"]
    menu = flow.node("menu")
    assert isinstance(menu, MenuNode)
    # Keys stay as written: YAML would make 1 an int and 01 the same int.
    assert menu.options == {"1": "agent", "01": "agent", "*": "agent"}
    assert flow.source == str(tmp_path / "t.yaml")
    assert flow.lines == {"menu": line_of(text, "  menu:"), "agent": line_of(text, "  agent:")}
    assert flow.field_lines["menu.options.01"] == line_of(text, "01: agent")
    assert flow.field_lines["agent.topic"] == line_of(text, "topic: general")


def test_a_file_without_name_takes_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, "other", TEXT.replace("name: t\n", ""))
    assert load_flows(tmp_path)["other"].name == "other"


def test_a_name_differing_from_the_file_name(tmp_path: Path) -> None:
    text = write(tmp_path, "other", TEXT)
    with pytest.raises(FlowConfigError) as raised:
        load_flows(tmp_path)
    (problem,) = raised.value.errors
    assert problem.line == line_of(text, "name: t")
    assert "differs from the file name" in problem.message


def test_missing_field_names_node_and_line(tmp_path: Path) -> None:
    text = write(tmp_path, "t", TEXT + "  intro:\n    type: say\n    prompt: hi\n")
    _, errors = read_flow_files(tmp_path)
    (problem,) = errors
    assert (problem.flow, problem.node) == ("t", "intro")
    assert problem.message == "'next' is required"
    assert problem.line == line_of(text, "  intro:")


def test_unknown_field_and_bad_value_on_their_own_lines(tmp_path: Path) -> None:
    text = write(
        tmp_path,
        "t",
        TEXT.replace("repeat_key: false", "repeat_key: false\n    colour: blue\n    retries: 99"),
    )
    _, errors = read_flow_files(tmp_path)
    by_line = {p.line: p for p in errors}
    assert by_line[line_of(text, "colour: blue")].message == "unknown field 'colour'"
    assert by_line[line_of(text, "retries: 99")].message.startswith("retries:")
    assert len(errors) == 2


def test_unknown_node_type(tmp_path: Path) -> None:
    text = write(tmp_path, "t", TEXT.replace("type: route", "type: teleport"))
    _, errors = read_flow_files(tmp_path)
    (problem,) = errors
    assert problem.node == "agent"
    assert "teleport" in problem.message
    assert problem.line == line_of(text, "  agent:")


def test_bad_option_key(tmp_path: Path) -> None:
    text = write(tmp_path, "t", TEXT.replace("1: agent", "a: agent", 1))
    _, errors = read_flow_files(tmp_path)
    (problem,) = errors
    assert "not a key sequence" in problem.message
    assert problem.line == line_of(text, "options:")


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    write(tmp_path, "t", "name: t\nstart: a\nnodes:\n  a: [unclosed\n  b: 1\n")
    _, errors = read_flow_files(tmp_path)
    (problem,) = errors
    assert problem.message.startswith("not YAML")
    assert problem.line is not None and problem.line >= 4


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    write(tmp_path, "t", "- just\n- a list\n")
    (problem,) = read_flow_files(tmp_path)[1]
    assert problem.message == "a flow file is a mapping"


def test_loader_fields_cannot_be_written_by_admins(tmp_path: Path) -> None:
    text = write(tmp_path, "t", TEXT + "lines: {menu: 1}\n")
    (problem,) = read_flow_files(tmp_path)[1]
    assert (problem.message, problem.line) == ("unknown field 'lines'", line_of(text, "lines:"))


def test_load_flows_lists_every_problem_of_every_file(tmp_path: Path) -> None:
    write(tmp_path, "a", TEXT.replace("name: t", "name: a").replace("type: route", "type: x"))
    write(tmp_path, "b", TEXT.replace("name: t", "name: b") + "  s:\n    type: say\n")
    write(tmp_path, "c", TEXT.replace("name: t", "name: c"))
    with pytest.raises(ConfigError) as raised:
        load_flows(tmp_path)
    assert isinstance(raised.value, FlowConfigError)
    files = sorted(Path(p.file).name for p in raised.value.errors)
    assert files == ["a.yaml", "b.yaml", "b.yaml"]  # s misses prompt and next
    text = str(raised.value)
    assert "a.yaml:" in text and "b.yaml:" in text and "3 problem(s)" in text


def test_an_empty_folder_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(FlowConfigError, match="no flow files"):
        load_flows(tmp_path)


def test_parse_flow_from_text() -> None:
    flow, errors = parse_flow(TEXT, source="api", name="t")
    assert errors == [] and flow is not None and flow.start == "menu"


def test_a_malformed_node_does_not_hide_the_other_nodes_problems(tmp_path: Path) -> None:
    broken = TEXT.replace("1: agent", "1: agnet", 1).replace("general", "general\n    x: 1")
    text = write(tmp_path, "t", broken + "  lonely:\n    type: hangup\n")
    _, errors = read_flow_files(tmp_path)
    found = {(p.node, p.line, p.message) for p in errors}
    assert found == {
        ("agent", line_of(text, "x: 1"), "unknown field 'x'"),
        ("menu", line_of(text, "1: agnet"), "'1' leads to unknown node 'agnet'"),
    }


def test_yaml_aliases_are_refused() -> None:
    # Nested aliases expand exponentially when walked; flows never need them.
    bomb = "a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n"
    flow, errors = parse_flow(bomb, source="t.yaml", name="t")
    assert flow is None
    (problem,) = errors
    assert "aliases" in problem.message and problem.line == 2


def test_an_unquoted_star_key_gets_a_hint() -> None:
    text = (
        "name: t\nstart: a\nnodes:\n  a:\n    type: menu\n    prompt: x\n    options:\n      *: b\n"
    )
    _, errors = parse_flow(text, source="t.yaml", name="t")
    (problem,) = errors
    assert problem.line == 8 and '"*"' in problem.message
