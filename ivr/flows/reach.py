"""Which route serves a topic at this hour: the flow graph walked as the clock stands.

A caller may name a topic the menu they are at does not list ("my loan payment
was taken twice" at the cards menu). Whether we can serve it now is a question
about the flows, not a list kept beside them: a route for the topic is open when
a caller could reach it from the start of the call at this hour, taking each
hours check the way the clock says. Plain functions over the flows; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from ivr.flows.hours import is_open
from ivr.flows.model import Flow, HoursNode, RouteNode, SubflowNode
from ivr.ids import Topic


@dataclass(frozen=True)
class OpenRoute:
    """A route node a caller can reach now: `node` of flow `flow`."""

    flow: str
    node: str
    route: RouteNode


def open_route(
    flows: Mapping[str, Flow], root: str, topic: Topic, *, now: dt.datetime
) -> OpenRoute | None:
    """The nearest route serving `topic` that is reachable from `root`'s start at `now`.

    A route naming the topic wins; failing that, a route that takes whatever topic
    was heard (no `topic` of its own) serves it too. None when neither is reachable.
    """
    if root not in flows:
        return None
    any_topic: OpenRoute | None = None
    seen: set[tuple[str, str]] = set()
    todo: deque[tuple[str, str]] = deque([(root, flows[root].start)])
    while todo:
        place = todo.popleft()
        flow_name, node_id = place
        flow = flows.get(flow_name)
        if place in seen or flow is None or node_id not in flow.nodes:
            continue
        seen.add(place)
        node = flow.node(node_id)
        match node:
            case RouteNode(topic=None):
                any_topic = any_topic or OpenRoute(flow_name, node_id, node)
            case RouteNode():
                if node.topic == topic:
                    return OpenRoute(flow_name, node_id, node)
            case HoursNode():
                todo.append((flow_name, node.open if is_open(node, now) else node.closed))
            case SubflowNode():
                if node.flow in flows:
                    todo.append((node.flow, flows[node.flow].start))
                todo.append((flow_name, node.next))
            case _:
                todo.extend((flow_name, target) for target in Flow.targets(node))
    return any_topic
