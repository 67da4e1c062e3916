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

    def tested_constants(self, name: str) -> list[str]:
        """Constants the body tests ``name`` against: ``name & FOLL_PIN``, ``(flags & X)``,
        ``name == PAGE_FLAGS_CHECK_AT_FREE``; in source order, each once."""
        found: dict[str, None] = {}
        for use in self._uses(name):
            test = _test_around(use, _TESTS)
            if test is not None:
                found.update(dict.fromkeys(_tested_words(test)))
        return list(found)

    def flag_values(self, name: str) -> list[str]:
        """The values of flag word ``name`` that reach each test of a flag in the body: the flag,
        with the flags of the ``if (name & X)`` branches the test sits in (``FOLL_PIN |
        FOLL_LONGTERM`` for a FOLL_LONGTERM test inside ``else if (flags & FOLL_PIN)``); in
        source order, each once."""
        found: dict[str, None] = {}
        for use in self._uses(name):
            test = _test_around(use, ("&",))
            if test is None:
                continue
            words = _tested_words(test)
            outer: list[str] = []
            node, parent = test, test.parent
            while parent is not None:
                if parent.type == "if_statement" and _is_branch(parent, node):
                    outer = [w for w in _tested_flags(parent, name) if w not in outer] + outer
                node, parent = parent, parent.parent
            for word in words:
                found[" | ".join(dict.fromkeys([*outer, word]))] = None
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


def _test_around(use: tree_sitter.Node, ops: tuple[str, ...]) -> tree_sitter.Node | None:
    """The binary expression ``use`` is an operand of (through parentheses), if its operator is
    one of ``ops``: ``flags & FOLL_PIN``, ``(flags) == X``."""
    parent = use.parent
    while parent is not None and parent.type == "parenthesized_expression":
        parent = parent.parent
    if parent is None or parent.type != "binary_expression":
        return None
    return parent if node_text(parent.child_by_field_name("operator")) in ops else None


def _tested_words(test: tree_sitter.Node) -> list[str]:
    """The constants on either side of a test (``X``, ``X | Y``), parentheses unwrapped."""
    out: list[str] = []
    for side in named_children(test):
        while side.type == "parenthesized_expression" and named_children(side):
            side = named_children(side)[0]
        out += _flag_words(side)
    return out


def _is_branch(if_node: tree_sitter.Node, child: tree_sitter.Node) -> bool:
    """Whether ``child`` is the statement the if runs when its condition holds."""
    consequence = if_node.child_by_field_name("consequence")
    return consequence is not None and consequence.id == child.id


def _tested_flags(if_node: tree_sitter.Node, name: str) -> list[str]:
    """The flags of an ``if (name & X)`` / ``if (likely(name & X))`` condition, else none."""
    cond = if_node.child_by_field_name("condition")
    while cond is not None:
        if cond.type == "parenthesized_expression":
            cond = named_children(cond)[0] if named_children(cond) else None
        elif cond.type == "call_expression" and node_text(cond.child_by_field_name("function")) in ("likely", "unlikely"):
            args = cond.child_by_field_name("arguments")
            cond = named_children(args)[0] if args is not None and named_children(args) else None
        else:
            break
    if cond is None or cond.type != "binary_expression" or node_text(cond.child_by_field_name("operator")) != "&":
        return []
    sides = named_children(cond)
    names = [node_text(side) for side in sides]
    if name not in names:
        return []
    return _flag_words(sides[1 - names.index(name)])
