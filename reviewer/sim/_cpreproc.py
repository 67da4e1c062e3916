"""``#if`` / ``#ifdef`` inside function bodies, decided at compile time against the kconfig map."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import tree_sitter

from ._cexpr import Loc, named_children, node_text
from ._errors import NotAnalysed

__all__ = ["PreprocEvaluator", "kconfig_defined"]


def kconfig_defined(kconfig: Mapping[str, bool | int | str], name: str) -> bool:
    value = kconfig.get(name, False)
    if isinstance(value, str):
        return value not in ("", "n")
    return bool(value)


class PreprocEvaluator:
    def __init__(self, kconfig: Mapping[str, bool | int | str], loc: Callable[[tree_sitter.Node], Loc]) -> None:
        self.kconfig = kconfig
        self.loc = loc

    def ifdef_taken(self, node: tree_sitter.Node) -> bool:
        name = node_text(node.child_by_field_name("name"))
        taken = self.defined(name, node)
        if node.children and node_text(node.children[0]) == "#ifndef":
            taken = not taken
        return taken

    def value(self, node: tree_sitter.Node) -> int:
        t = node.type
        if t == "number_literal":
            return int(node_text(node).rstrip("uUlL"), 0)
        if t == "identifier":
            name = node_text(node)
            self.defined(name, node)  # a macro outside kconfig has a value we do not know
            v = self.kconfig.get(name, 0)
            return v if isinstance(v, int) else int(kconfig_defined(self.kconfig, name))
        if t == "preproc_defined":
            return int(self.defined(node_text(named_children(node)[0]), node))
        if t == "call_expression" and node_text(node.child_by_field_name("function")) in ("IS_ENABLED", "IS_BUILTIN"):
            return int(self.defined(node_text(named_children(node.child_by_field_name("arguments") or node)[0]), node))
        if t == "parenthesized_expression":
            return self.value(named_children(node)[0])
        if t == "unary_expression" and node_text(node.child_by_field_name("operator")) == "!":
            return int(not self.value(node.child_by_field_name("argument") or node))
        if t == "binary_expression":
            op = node_text(node.child_by_field_name("operator"))
            a = self.value(node.child_by_field_name("left") or node)
            b = self.value(node.child_by_field_name("right") or node)
            table = {"&&": int(bool(a and b)), "||": int(bool(a or b)), "==": int(a == b), "!=": int(a != b),
                     ">": int(a > b), "<": int(a < b), ">=": int(a >= b), "<=": int(a <= b)}
            if op in table:
                return table[op]
        loc = self.loc(node)
        raise NotAnalysed(f"preprocessor condition `{node_text(node)}` at {loc[0]}:{loc[1]}")

    def defined(self, name: str, node: tree_sitter.Node) -> bool:
        """A CONFIG_ symbol the map lacks is unset; other macros (MAX_ORDER, ...) come from unread headers."""
        if name in self.kconfig or name.startswith("CONFIG_"):
            return kconfig_defined(self.kconfig, name)
        loc = self.loc(node)
        raise NotAnalysed(f"preprocessor test of `{name}`, which is not a kconfig symbol, at {loc[0]}:{loc[1]}")
