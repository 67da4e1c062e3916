"""C function definitions in a file: tree-sitter first, brace matching where macros defeat it.

Kernel macros (``EXPORT_SYMBOL``, ``__init``, ``list_for_each_entry`` bodies, ...) can make
tree-sitter produce ERROR nodes. A function must not be lost to that: a definition whose node
contains errors has its extent checked by brace matching, and a changed line no definition
covers is looked up by brace matching from the kernel-style ``{`` at column 0. Either way the
problem is recorded with ``path:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import tree_sitter

from ..cparse import parse_c

__all__ = ["BraceIndex", "FunctionSpan", "find_functions", "function_at", "function_named"]

_NAME_BEFORE_PAREN = re.compile(r"([A-Za-z_]\w*)\s*\(")
_SIGNATURE_START = re.compile(r"^[A-Za-z_]")
_DECLARATOR_WRAPPERS = (
    "pointer_declarator",
    "parenthesized_declarator",
    "attributed_declarator",
)


@dataclass(frozen=True, slots=True)
class FunctionSpan:
    name: str
    start_line: int
    """1-based, the signature's first line."""
    end_line: int
    """1-based, the closing brace's line."""
    problems: tuple[str, ...] = ()

    def source(self, lines: list[str]) -> str:
        return "\n".join(lines[self.start_line - 1 : self.end_line]) + "\n"


def _declarator_name(node: tree_sitter.Node) -> str | None:
    current: tree_sitter.Node | None = node.child_by_field_name("declarator")
    while current is not None:
        if current.type == "function_declarator":
            inner = current.child_by_field_name("declarator")
            while inner is not None and inner.type in _DECLARATOR_WRAPPERS:
                inner = inner.child_by_field_name("declarator")
            if inner is not None and inner.type in ("identifier", "field_identifier"):
                return (inner.text or b"").decode(errors="replace")
            return None
        if current.type in _DECLARATOR_WRAPPERS:
            current = current.child_by_field_name("declarator")
        else:
            return None
    return None


def _first_error_line(node: tree_sitter.Node) -> int | None:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR" or n.is_missing:
            return n.start_point[0] + 1
        if n.has_error:
            stack.extend(reversed(n.children))
    return None


# Braces, and what hides braces from the compiler: comments, string and character literals
# (a literal left open ends with its line, as the old per-line scan had it).
_BRACE_TOKENS = re.compile(
    r"/\*.*?(?:\*/|\Z)|//[^\n]*|\"(?:\\.|[^\"\\\n])*(?:\"|$)|'(?:\\.|[^'\\\n])*(?:'|$)|[{}\n]",
    re.DOTALL | re.MULTILINE,
)


def _brace_closes(lines: list[str]) -> dict[int, int]:
    """For each 1-based line holding a ``{``, the line of the brace that closes its first one.

    One regular-expression pass over the file: a kernel file has thousands of lines and a
    function whose tree-sitter node has errors is checked against this index, not rescanned.
    """
    closes: dict[int, int] = {}
    stack: list[tuple[int, bool]] = []
    line, opened_here = 1, False
    for m in _BRACE_TOKENS.finditer("\n".join(lines)):
        token = m.group()
        if token == "{":
            stack.append((line, not opened_here))
            opened_here = True
        elif token == "}":
            if stack:
                at, first = stack.pop()
                if first:
                    closes[at] = line
        else:
            newlines = token.count("\n")
            if newlines:
                line, opened_here = line + newlines, False
    return closes


class BraceIndex:
    """:func:`_brace_closes` of one file, worked out on first use and then shared."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._closes: dict[int, int] | None = None

    def close(self, open_line: int) -> int | None:
        if self._closes is None:
            self._closes = _brace_closes(self.lines)
        return self._closes.get(open_line)


def _brace_scan(lines: list[str], line: int, path: str, braces: BraceIndex) -> FunctionSpan | None:
    """The kernel-style function around 1-based ``line``: ``{`` at column 0 to its ``}``."""
    for open_line in range(min(line, len(lines)), 0, -1):
        text = lines[open_line - 1]
        if not text.startswith("{") and not (
            _SIGNATURE_START.match(text) and text.rstrip().endswith("{") and "(" in text
        ):
            continue
        close = braces.close(open_line)
        if close is None or close < line:
            return None
        start = open_line if not text.startswith("{") else open_line - 1
        while start > 1 and not _SIGNATURE_START.match(lines[start - 1]):
            start -= 1
        signature = " ".join(lines[start - 1 : open_line])
        m = _NAME_BEFORE_PAREN.search(signature)
        if start < 1 or m is None:
            return None
        note = f"{path}:{start}: tree-sitter could not parse {m.group(1)}; found by brace matching"
        return FunctionSpan(m.group(1), start, close, (note,))
    return None


def find_functions(source: str, path: str) -> list[FunctionSpan]:
    """Every function definition tree-sitter finds, extents checked where it reported errors."""
    lines = source.split("\n")
    tree = parse_c(source)
    braces = BraceIndex(lines)  # worked out when a definition has errors
    out: list[FunctionSpan] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            name = _declarator_name(node)
            if name is None:
                continue
            start, end = node.start_point[0] + 1, node.end_point[0] + 1
            problems: tuple[str, ...] = ()
            error_line = _first_error_line(node) if node.has_error else None
            if error_line is not None:
                body = node.child_by_field_name("body")
                open_line = body.start_point[0] + 1 if body is not None else start
                end = braces.close(open_line) or end
                problems = (
                    f"{path}:{error_line}: tree-sitter could not parse this line of {name}; extent from brace matching",
                )
            out.append(FunctionSpan(name, start, end, problems))
            continue
        stack.extend(node.children)
    out.sort(key=lambda f: f.start_line)
    return out


def function_at(
    functions: Iterable[FunctionSpan], source_lines: list[str], line: int, path: str,
    braces: BraceIndex | None = None,
) -> FunctionSpan | None:
    """The function containing 1-based ``line``: from ``functions``, else by brace matching
    (``braces``: the file's index, when the caller asks about several lines)."""
    for f in functions:
        if f.start_line <= line <= f.end_line:
            return f
    return _brace_scan(source_lines, line, path, braces or BraceIndex(source_lines))


def function_named(functions: Iterable[FunctionSpan], name: str) -> FunctionSpan | None:
    return next((f for f in functions if f.name == name), None)
