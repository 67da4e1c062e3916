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

__all__ = ["FunctionSpan", "find_functions", "function_at", "function_named"]

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


def _strip_code(line: str, in_comment: bool) -> tuple[str, bool]:
    """The line without comments and string/char literals (braces inside them do not count)."""
    out: list[str] = []
    i = 0
    while i < len(line):
        if in_comment:
            end = line.find("*/", i)
            if end < 0:
                return "".join(out), True
            i, in_comment = end + 2, False
            continue
        two = line[i : i + 2]
        if two == "/*":
            in_comment, i = True, i + 2
        elif two == "//":
            break
        elif line[i] in "\"'":
            quote, i = line[i], i + 1
            while i < len(line) and line[i] != quote:
                i += 2 if line[i] == "\\" else 1
            i += 1
        else:
            out.append(line[i])
            i += 1
    return "".join(out), in_comment


def _matching_close(lines: list[str], open_line: int) -> int | None:
    """1-based line of the brace that closes the first ``{`` on 1-based ``open_line``."""
    depth = 0
    in_comment = False
    for n in range(open_line, len(lines) + 1):
        code, in_comment = _strip_code(lines[n - 1], in_comment)
        for ch in code:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return n
    return None


def _brace_scan(lines: list[str], line: int, path: str) -> FunctionSpan | None:
    """The kernel-style function around 1-based ``line``: ``{`` at column 0 to its ``}``."""
    for open_line in range(min(line, len(lines)), 0, -1):
        text = lines[open_line - 1]
        if not text.startswith("{") and not (
            _SIGNATURE_START.match(text) and text.rstrip().endswith("{") and "(" in text
        ):
            continue
        close = _matching_close(lines, open_line)
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
                close = _matching_close(lines, open_line)
                end = close or end
                problems = (
                    f"{path}:{error_line}: tree-sitter could not parse this line of {name}; extent from brace matching",
                )
            out.append(FunctionSpan(name, start, end, problems))
            continue
        stack.extend(node.children)
    out.sort(key=lambda f: f.start_line)
    return out


def function_at(
    functions: Iterable[FunctionSpan], source_lines: list[str], line: int, path: str
) -> FunctionSpan | None:
    """The function containing 1-based ``line``: from ``functions``, else by brace matching."""
    for f in functions:
        if f.start_line <= line <= f.end_line:
            return f
    return _brace_scan(source_lines, line, path)


def function_named(functions: Iterable[FunctionSpan], name: str) -> FunctionSpan | None:
    return next((f for f in functions if f.name == name), None)
