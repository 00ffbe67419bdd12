"""Loops and ways out of a flow: which nodes a caller reaches, and which they can leave.

The validator refuses a loop of nodes that never reaches an end, and a menu
whose options and failure path all lead back to it; these functions find them.
"""

from __future__ import annotations

from collections.abc import Iterator

from ivr.flows.model import TERMINAL_TYPES, Flow, MenuNode, Node


def labelled_targets(node: Node) -> list[tuple[str, str]]:
    """(label, target node) for every way out of `node`: 'next', 'open', a digit, a topic."""
    found: list[tuple[str, str]] = []
    if isinstance(node, MenuNode):
        found.extend((key, target) for key, target in node.options.items())
        found.extend((topic.value, target) for topic, target in node.speech.items())
    for attr, label in (
        ("next", "next"),
        ("open", "open"),
        ("closed", "closed"),
        ("on_fail", "fail"),
        ("unserved", "unserved"),
        ("on_empty", "empty"),
        ("on_unsure", "unsure"),
    ):
        value = getattr(node, attr, None)
        if isinstance(value, str):
            found.append((label, value))
    return found


def is_dead_end(node: Node) -> bool:
    return node.type not in TERMINAL_TYPES and not labelled_targets(node)


def reachable(flow: Flow, start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for _, target in labelled_targets(flow.nodes[todo.pop()]):
            if target in flow.nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _can_leave(node: Node) -> bool:
    """Whether the caller can get out from this node alone (an end, or a menu's agent fallback)."""
    if node.type in TERMINAL_TYPES:
        return True
    return isinstance(node, MenuNode) and (node.on_fail is None or node.agent_key)


def _exits(flow: Flow, dead: set[str], *, agent_key_leaves: bool = True) -> set[str]:
    """Nodes from which the caller can get out of the flow, by the flow's own paths.

    With `agent_key_leaves`, a menu whose '0' asks for an agent counts as a way
    out; without it, only the paths the flow itself draws do.
    """
    # Unknown targets and dead ends are reported already; count them as exits here.
    exits = {
        node_id
        for node_id, node in flow.nodes.items()
        if (_can_leave(node) if agent_key_leaves else _leaves_by_itself(node))
        or node_id in dead
        or any(t not in flow.nodes for _, t in labelled_targets(node))
    }
    changed = True
    while changed:
        changed = False
        for node_id, node in flow.nodes.items():
            if node_id not in exits and any(t in exits for _, t in labelled_targets(node)):
                exits.add(node_id)
                changed = True
    return exits


def _leaves_by_itself(node: Node) -> bool:
    """An end, or a menu that hands the caller to an agent after its last retry."""
    return node.type in TERMINAL_TYPES or (isinstance(node, MenuNode) and node.on_fail is None)


def menus_never_left(
    flow: Flow, reached: set[str], dead: set[str], *, skip: set[str]
) -> Iterator[str]:
    """Reached menus whose options, topics and failure path all come back to them.

    Pressing '0' would still reach an agent, but a caller is not told so by
    every menu: a menu like that keeps a caller circling.
    """
    exits = _exits(flow, dead, agent_key_leaves=False)
    for node_id, node in flow.nodes.items():
        if (
            isinstance(node, MenuNode)
            and node_id in reached
            and node_id not in skip
            and node_id not in exits
            and node_id in _reachable_after(flow, node_id)
        ):
            yield node_id


def trapped(flow: Flow, reached: set[str], dead: set[str]) -> Iterator[str]:
    """Reached nodes on a cycle from which no way out is reachable."""
    exits = _exits(flow, dead)
    for node_id in flow.nodes:
        if (
            node_id in reached
            and node_id not in exits
            and node_id in _reachable_after(flow, node_id)
        ):
            yield node_id


def _reachable_after(flow: Flow, node_id: str) -> set[str]:
    """Nodes reachable from `node_id` in one step or more."""
    first = [t for _, t in labelled_targets(flow.nodes[node_id]) if t in flow.nodes]
    seen: set[str] = set()
    for target in first:
        seen |= reachable(flow, target)
    return seen
