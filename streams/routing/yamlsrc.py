"""YAML parsing that keeps line numbers: we walk composed nodes instead of plain dicts.

``yaml.compose`` gives a node tree where every node carries ``start_mark``; scalars are turned
into Python values with PyYAML's safe constructor, so types (int, bool, null, dates) behave as
in ``yaml.safe_load``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from streams.routing.issues import RuleIssue

__all__ = ["MappingNode", "Node", "Reporter", "ScalarNode", "SequenceNode", "compose", "line_of", "suggest"]


def line_of(node: Node) -> int:
    return int(node.start_mark.line) + 1


def suggest(word: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a candidate is close enough, else ''."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """A short, YAML-flavoured name for a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ('{value}')"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__} ({value})"


class Reporter:
    """Collects issues for one source so validation can report everything at once."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.issues: list[RuleIssue] = []
        self._constructor = SafeConstructor()

    def error(self, where: Node | int, message: str) -> None:
        issue = RuleIssue(self.source, where if isinstance(where, int) else line_of(where), message)
        if issue not in self.issues:  # e.g. the same YAML alias reached twice
            self.issues.append(issue)

    def value(self, node: Node) -> Any:
        """The plain Python value of a node (as ``yaml.safe_load`` would give it)."""
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:  # e.g. an unhashable mapping key deep inside a value
            self.error(node, f"invalid YAML value: {exc}")
            return None
        except (ValueError, OverflowError) as exc:  # e.g. the date 2026-13-01: PyYAML lets datetime raise
            self.error(node, f"invalid YAML value '{getattr(node, 'value', '')}': {exc}")
            return None

    def mapping(
        self, node: Node, what: str, allowed: Iterable[str], unknown: str = "key", *, extensions: bool = False
    ) -> dict[str, tuple[Node, Node]] | None:
        """Key -> (key node, value node) for a mapping node, reporting wrong shape, unknown and duplicate keys.

        With ``extensions``, keys starting with 'x-' are skipped (a home for YAML anchors, as in Compose files).
        """
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping, got {self._kind(node)}")
            return None
        allowed = tuple(allowed)
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or not isinstance(self.value(key_node), str):
                self.error(key_node, f"{what}: keys must be plain names")
                continue
            key = str(key_node.value)
            if key in out:
                # PyYAML silently keeps the last duplicate; in a rules file that hides mistakes.
                self.error(key_node, f"{what}: duplicate key '{key}'")
                continue
            if extensions and key.startswith("x-"):
                continue
            if key not in allowed:
                self.error(key_node, f"{what}: unknown {unknown} '{key}'{suggest(key, allowed)}")
                continue
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: Node, what: str) -> list[Node] | None:
        if not isinstance(node, SequenceNode):
            self.error(node, f"{what} must be a list, got {self._kind(node)}")
            return None
        return list(node.value)

    def string(self, node: Node, what: str) -> str | None:
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, str) or not value.strip():
            got = describe(value) if isinstance(node, ScalarNode) else self._kind(node)
            self.error(node, f"{what} must be a non-empty string, got {got}")
            return None
        return value

    def kind(self, node: Node) -> str:
        """What a node holds, for messages: 'a mapping', 'a list', 'a string ('x')' ..."""
        return self._kind(node)

    def _kind(self, node: Node) -> str:
        if isinstance(node, MappingNode):
            return "a mapping"
        if isinstance(node, SequenceNode):
            return "a list"
        return describe(self.value(node))


def compose(text: str, reporter: Reporter) -> Node | None:
    """The root node of a single-document YAML text, or None (with an issue) when it does not parse."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        parts = [p for p in (exc.context, exc.problem) if p]  # PyYAML's own order: "while parsing X", "found Y"
        reporter.error(int(mark.line) + 1 if mark is not None else 0, f"YAML syntax error: {', '.join(parts)}")
        return None
    except yaml.YAMLError as exc:  # ReaderError (bad characters) carries no mark
        reporter.error(0, f"YAML error: {exc}")
        return None
    if root is None:
        reporter.error(1, "the rules file is empty")
    return root
