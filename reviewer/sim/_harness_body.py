"""What a function's own body says about a parameter: the constants it tests a flag word
against, and whether it checks a pointer for NULL before it uses it (the generic harness's
rules for flag words and optional pointers; see :mod:`.harness`)."""

from __future__ import annotations

import re

import tree_sitter

from ..cparse import parse_c
from ._cexpr import named_children, node_text

__all__ = ["FunctionBody"]

_CONSTANT = re.compile(r"[A-Z][A-Z0-9_]*")
"""A macro or enum constant as kernel style spells it (FOLL_PIN, ALLOC_KSWAPD)."""
_TESTS = ("&", "==", "!=")


class FunctionBody:
    """The body of one function definition, parsed once."""

    def __init__(self, source: str) -> None:
        self._tree = parse_c(source)
        self.body: tree_sitter.Node | None = None
        for node in self._tree.root_node.named_children:
            if node.type == "function_definition":
                self.body = node.child_by_field_name("body")
                break

    def _uses(self, name: str) -> list[tree_sitter.Node]:
        """Every identifier ``name`` in the body, in source order."""
        out: list[tree_sitter.Node] = []
        stack = [self.body] if self.body is not None else []
        while stack:
            node = stack.pop()
            if node.type == "identifier" and node_text(node) == name:
                out.append(node)
            stack.extend(reversed(node.children))
        return out

    def tested_constants(self, name: str, ops: tuple[str, ...] = _TESTS) -> list[str]:
        """Constants the body tests ``name`` against with one of ``ops``: ``name & FOLL_PIN``,
        ``(flags & X)``, ``name == PAGE_FLAGS_CHECK_AT_FREE``; in source order, each once."""
        found: dict[str, None] = {}
        for use in self._uses(name):
            parent = use.parent
            while parent is not None and parent.type == "parenthesized_expression":
                parent = parent.parent
            if parent is None or parent.type != "binary_expression":
                continue
            if node_text(parent.child_by_field_name("operator")) not in ops:
                continue
            for side in named_children(parent):
                while side.type == "parenthesized_expression" and named_children(side):
                    side = named_children(side)[0]
                for word in _flag_words(side):
                    found[word] = None
        return list(found)

    def uses(self, name: str) -> bool:
        return bool(self._uses(name))

    def tests_before_use(self, name: str) -> bool:
        """Whether the first thing the body does with ``name`` is test it for zero / NULL
        (``!capc``, ``if (num_movable)``, ``capc == NULL``, ``p && ...``, ``p ? ...``)."""
        uses = self._uses(name)
        return bool(uses) and _is_test(uses[0])


def _flag_words(node: tree_sitter.Node) -> list[str]:
    """The constants of ``X``, ``X | Y``: the flags a tested mask names."""
    if node.type == "identifier":
        text = node_text(node)
        return [text] if _CONSTANT.fullmatch(text) else []
    if node.type == "binary_expression" and node_text(node.child_by_field_name("operator")) == "|":
        return [w for side in named_children(node) for w in _flag_words(side)]
    if node.type == "parenthesized_expression" and named_children(node):
        return _flag_words(named_children(node)[0])
    return []


def _is_test(use: tree_sitter.Node) -> bool:
    node = use
    parent = node.parent
    while parent is not None and parent.type == "parenthesized_expression":
        if parent.parent is not None and parent.parent.type in ("if_statement", "while_statement"):
            return True  # the whole condition
        node, parent = parent, parent.parent
    if parent is None:
        return False
    if parent.type == "unary_expression":
        return node_text(parent.child_by_field_name("operator")) == "!"
    if parent.type == "binary_expression":
        op = node_text(parent.child_by_field_name("operator"))
        if op in ("&&", "||"):
            return True
        other = [s for s in named_children(parent) if s.id != node.id]
        return op in ("==", "!=") and bool(other) and node_text(other[0]) in ("NULL", "0")
    if parent.type == "conditional_expression":
        condition = parent.child_by_field_name("condition")
        return condition is not None and condition.id == node.id
    return False
