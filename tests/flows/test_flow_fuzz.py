"""Hypothesis over flow files: the validator answers every text with a flow or its problems.

Three kinds of input: any text at all; a flow document of random nodes built
from the node types and their fields with values of every JSON/YAML kind;
and the shipped main flow with one field of one node replaced or removed.
Whatever comes in, `FlowCatalog.check` (what `PUT /api/flows` and `ivr flows
validate` use) returns; it never raises, and a flow it accepts has no problems.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import yaml
from hypothesis import strategies as st

from ivr.config import PROJECT_DIR
from ivr.flows.catalog import FlowCatalog

NODE_TYPES = [
    "say", "menu", "language", "hours", "record", "route", "transfer", "subflow",
    "return", "callback", "survey", "hangup", "nonsense",
]  # fmt: skip
FIELDS = [
    "prompt", "next", "input", "options", "speech", "hints", "num_digits", "timeout",
    "no_input", "no_match", "retries", "on_fail", "secure", "repeat_key", "agent_key",
    "store_as", "default", "timezone", "weekly", "holidays", "open", "closed",
    "max_length", "purpose", "topic", "queue", "number", "flow", "thanks",
]  # fmt: skip
SHIPPED = yaml.safe_load((PROJECT_DIR / "flows" / "main.yaml").read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["main_menu", "goodbye", "en-US", "zh-CN", "loans", "08:00-20:00", "25:99-00:00",
         "Asia/Shanghai", "Mars/Olympus", "2026-02-30", "+14155550100", "sip:x", "*", "0"]
    ),
)  # fmt: skip
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def random_flows(draw: st.DrawFn) -> str:
    """A flow document of random nodes, dumped as YAML."""
    names = draw(st.lists(st.sampled_from(["a", "b", "menu", "end", "x"]), max_size=5))
    nodes: dict[str, Any] = {}
    for name in names:
        node: dict[str, Any] = {"type": draw(st.sampled_from(NODE_TYPES))}
        for field in draw(st.sets(st.sampled_from(FIELDS), max_size=6)):
            node[field] = draw(st.one_of(st.sampled_from([*names, "nowhere"]), values))
        nodes[name] = draw(st.one_of(st.just(node), values))
    document: dict[str, Any] = {"name": "fuzz", "start": draw(st.sampled_from([*names, "x"]))}
    document["nodes"] = draw(st.one_of(st.just(nodes), values))
    return yaml.safe_dump(document, allow_unicode=True)


@st.composite
def shipped_mutations(draw: st.DrawFn) -> str:
    """The shipped main flow with one field of one node replaced by anything, or removed."""
    document = yaml.safe_load(yaml.safe_dump(SHIPPED))
    node = draw(st.sampled_from(sorted(document["nodes"])))
    fields = document["nodes"][node]
    field = draw(st.sampled_from(sorted({*fields, *FIELDS})))
    if draw(st.booleans()) and field in fields:
        del fields[field]
    else:
        fields[field] = draw(values)
    document["name"] = "fuzz"
    return yaml.safe_dump(document, allow_unicode=True)


@pytest.fixture(scope="module")
def catalog() -> FlowCatalog:
    """The shipped flows and prompts, which sub-flows and prompt ids are checked against."""
    return FlowCatalog.load(flows_dir=PROJECT_DIR / "flows", prompts_dir=PROJECT_DIR / "prompts")


SETTINGS = hypothesis.settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)


def _check(catalog: FlowCatalog, text: str) -> None:
    flow, errors = catalog.check("fuzz", text)
    assert flow is not None or errors, "refused without a reason"
    for error in errors:
        assert error.message and error.file


@SETTINGS
@hypothesis.given(text=st.text(max_size=400))
def test_any_text_is_a_flow_or_its_problems(catalog: FlowCatalog, text: str) -> None:
    _check(catalog, text)


@SETTINGS
@hypothesis.given(text=random_flows())
def test_random_nodes_are_a_flow_or_their_problems(catalog: FlowCatalog, text: str) -> None:
    _check(catalog, text)


@hypothesis.settings(SETTINGS, max_examples=40)
@hypothesis.given(text=shipped_mutations())
def test_a_changed_field_of_the_shipped_flow_is_checked(catalog: FlowCatalog, text: str) -> None:
    _check(catalog, text)
