"""The line-keeping YAML reader the flow and prompt loaders share.

Admins edit flows and prompts by hand, so every problem names its line: this
reader keeps the line of every mapping key, notes keys written twice (which a
dict would silently drop) and keeps keys as written (`01` stays "01").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class YamlDocument:
    """A parsed YAML document with the line of every mapping key."""

    data: Any
    # ("nodes", "menu", "options", "1") -> line of that key (1-based)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    # (path of the mapping, key, line of the repeat, line of the first)
    duplicates: list[tuple[tuple[str, ...], str, int, int]] = field(default_factory=list)


# Deeper than any flow or prompt file needs, far below the interpreter's recursion limit.
MAX_YAML_DEPTH = 64
# Scalars, mappings and sequences: about ten times the largest shipped flow.
MAX_YAML_ITEMS = 40_000


class YamlTooLarge(yaml.MarkedYAMLError):
    """A document holding too many items to be a flow or prompt file."""


class _KeysAsWritten(yaml.SafeLoader):
    """A safe loader keeping mapping keys as the text written.

    Option keys like `1`, `01` or `0` must stay strings: YAML would turn them
    into ints (and `01` into 1), and dicts would silently drop repeated keys.
    """

    _depth = 0
    _items = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        # Aliases let a few hundred bytes expand into an exponential walk; admins need none.
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed; write a '*' key as \"*\"", mark
            )
        # The composer recurses once per level: "[[[[..." 20,000 deep would blow
        # Python's stack. Real flows nest a handful of levels.
        if self._depth >= MAX_YAML_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None, None, f"nested more than {MAX_YAML_DEPTH} levels deep", mark
            )
        self._items += 1
        if self._items > MAX_YAML_ITEMS:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise YamlTooLarge(None, None, f"more than {MAX_YAML_ITEMS} items", mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key: Any = key_node.value
            else:
                key = self.construct_object(key_node, deep=True)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document, keeping key lines and noting repeated keys.

    Raises yaml.YAMLError (with a mark) when the text is not YAML.
    """
    loader = _KeysAsWritten(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    doc = YamlDocument(data=data)
    if root is not None:
        _walk(root, (), doc)
    return doc


def _walk(node: yaml.Node, path: tuple[str, ...], doc: YamlDocument) -> None:
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            line = key_node.start_mark.line + 1
            if key in first:
                doc.duplicates.append((path, key, line, first[key]))
            else:
                first[key] = line
                doc.lines[(*path, key)] = line
            _walk(value_node, (*path, key), doc)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            doc.lines.setdefault((*path, str(index)), item.start_mark.line + 1)
            _walk(item, (*path, str(index)), doc)


def line_of(doc: YamlDocument, path: tuple[str, ...]) -> int | None:
    """The line of the longest prefix of `path` the document has."""
    for end in range(len(path), 0, -1):
        line = doc.lines.get(path[:end])
        if line is not None:
            return line
    return None
