"""What one preprocessed file defines: functions, macros, enum constants, and what it includes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import tree_sitter

from ...cparse import parse_c
from ...trees._functions import find_functions

__all__ = ["FileSymbols", "MacroDef", "constant_value", "scan_file"]

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?[ \t]*(.*)$")
_PER_CPU = re.compile(r"\b(?:DEFINE|DECLARE)_STATIC_KEY_\w+\(\s*([A-Za-z_]\w*)"
                      r"|\b(?:DEFINE|DECLARE)_PER_CPU\w*\(\s*([^;]+?),\s*([A-Za-z_]\w*)\s*\)")
_INCLUDE = re.compile(r"^\s*#\s*include\s*([<\"])([^>\"]+)[>\"]")


@dataclass(frozen=True, slots=True)
class MacroDef:
    name: str
    params: tuple[str, ...] | None
    """None: an object-like macro."""
    body: str
    line: int

    def definition(self) -> str:
        """The text pcpp's ``define`` takes."""
        if self.params is None:
            return f"{self.name} {self.body}"
        return f"{self.name}({', '.join(self.params)}) {self.body}"


@dataclass(slots=True)
class FileSymbols:
    functions: dict[str, tuple[int, int, bool]] = field(default_factory=dict)
    """name -> (first line, last line, under an #if the preprocessor could not decide)."""
    macros: dict[str, MacroDef] = field(default_factory=dict)
    enums: dict[str, int] = field(default_factory=dict)
    includes: list[tuple[bool, str]] = field(default_factory=list)
    """(system include <>, path) in file order."""
    globals: dict[str, str] = field(default_factory=dict)
    """Variables declared at file scope (DEFINE_PER_CPU ones included) -> their type."""
    structs: dict[str, dict[str, str]] = field(default_factory=dict)
    """struct name -> member -> type (``struct list_head``, ``struct zone *``, ``struct free_area[]``);
    members of anonymous unions and structs are the parent's."""

    def to_json(self) -> dict[str, Any]:
        return {"functions": {k: list(v) for k, v in self.functions.items()},
                "macros": {k: [m.params is not None, list(m.params or ()), m.body, m.line]
                           for k, m in self.macros.items()},
                "enums": self.enums, "includes": [list(i) for i in self.includes],
                "globals": self.globals, "structs": self.structs}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FileSymbols:
        return cls(
            functions={k: (int(v[0]), int(v[1]), bool(v[2])) for k, v in raw["functions"].items()},
            macros={k: MacroDef(k, tuple(v[1]) if v[0] else None, str(v[2]), int(v[3]))
                    for k, v in raw["macros"].items()},
            enums={k: int(v) for k, v in raw["enums"].items()},
            includes=[(bool(i[0]), str(i[1])) for i in raw["includes"]],
            globals={str(k): str(v) for k, v in raw["globals"].items()},
            structs={str(k): {str(m): str(t) for m, t in v.items()} for k, v in raw["structs"].items()},
        )


def scan_file(text: str, path: str) -> FileSymbols:
    """The symbols of ``text`` (already through the preprocessor, line for line)."""
    symbols = FileSymbols()
    lines = text.split("\n")
    _scan_directives(lines, symbols)
    tree = parse_c(text)
    undecided = _undecided_ranges(tree.root_node)
    for fn in find_functions(text, path):
        conditional = any(a <= fn.start_line <= b for a, b in undecided)
        if fn.name not in symbols.functions or symbols.functions[fn.name][2]:
            symbols.functions[fn.name] = (fn.start_line, fn.end_line, conditional)
    _scan_enums(tree.root_node, symbols)
    _scan_globals(tree.root_node, symbols)
    for m in _PER_CPU.finditer(text):
        if m.group(1):
            symbols.globals.setdefault(m.group(1), "struct static_key")
        else:
            symbols.globals.setdefault(m.group(3), " ".join(m.group(2).split()))
    _scan_structs(tree.root_node, symbols)
    return symbols


def _scan_structs(root: tree_sitter.Node, symbols: FileSymbols) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            continue
        if node.type == "struct_specifier" and node.child_by_field_name("body") is not None:
            name = _text(node.child_by_field_name("name"))
            if name and name not in symbols.structs:
                members: dict[str, str] = {}
                _members(node.child_by_field_name("body"), members, symbols, name)
                symbols.structs[name] = members
        stack.extend(node.children)


def _members(body: tree_sitter.Node | None, out: dict[str, str], symbols: FileSymbols, owner: str) -> None:
    for f in body.named_children if body is not None else []:
        if f.type in ("preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"):
            _members(f, out, symbols, owner)
            continue
        if f.type != "field_declaration":
            continue
        type_node = f.child_by_field_name("type")
        declarators = f.children_by_field_name("declarator")
        if type_node is not None and type_node.type in ("struct_specifier", "union_specifier") and \
                type_node.child_by_field_name("body") is not None:
            if not declarators:  # anonymous: its members are the owner's
                _members(type_node.child_by_field_name("body"), out, symbols, owner)
                continue
            inner: dict[str, str] = {}
            _members(type_node.child_by_field_name("body"), inner, symbols, owner)
            anonymous = f"{owner}.{_text(declarators[0])}"
            symbols.structs.setdefault(anonymous, inner)
            base = f"struct {anonymous}"
        else:
            base = " ".join(_text(type_node).replace("const ", "").replace("volatile ", "").split())
        for d in declarators:
            suffix = ""  # outermost first: `*x[4]` is an array of pointers, `T *[]`
            while d.type in ("pointer_declarator", "array_declarator", "parenthesized_declarator"):
                suffix += {"pointer_declarator": " *", "array_declarator": "[]"}.get(d.type, "")
                nxt = d.child_by_field_name("declarator")
                if nxt is None:
                    break
                d = nxt
            if d.type == "field_identifier":
                out.setdefault(_text(d), base + suffix)


def _scan_globals(root: tree_sitter.Node, symbols: FileSymbols) -> None:
    for node in root.named_children:
        if node.type in ("preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif"):
            _scan_globals(node, symbols)
            continue
        if node.type != "declaration":
            continue
        type_text = " ".join(_text(node.child_by_field_name("type")).split())
        for d in node.children_by_field_name("declarator"):
            target = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            suffix = ""
            while target is not None and target.type in ("pointer_declarator", "array_declarator",
                                                         "parenthesized_declarator"):
                suffix += {"pointer_declarator": " *", "array_declarator": "[]"}.get(target.type, "")
                target = target.child_by_field_name("declarator")
            if target is not None and target.type == "identifier":
                symbols.globals.setdefault(_text(target), type_text + suffix)


def _scan_directives(lines: list[str], symbols: FileSymbols) -> None:
    i = 0
    while i < len(lines):
        line = lines[i]
        start = i
        while line.endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line[:-1] + " " + lines[i]
        i += 1
        inc = _INCLUDE.match(line)
        if inc:
            symbols.includes.append((inc.group(1) == "<", inc.group(2)))
            continue
        m = _DEFINE.match(line)
        if m is None:
            continue
        params = None
        if m.group(2) is not None:
            params = tuple(p.strip() for p in m.group(3).split(",") if p.strip())
        body = re.sub(r"/\*.*?\*/", " ", m.group(4)).strip()
        symbols.macros.setdefault(m.group(1), MacroDef(m.group(1), params, body, start + 1))


def _undecided_ranges(root: tree_sitter.Node) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in ("preproc_if", "preproc_ifdef", "preproc_elif", "preproc_else"):
            out.append((node.start_point.row + 1, node.end_point.row + 1))
        stack.extend(c for c in node.children if c.type not in ("function_definition",))
    return out


def _scan_enums(root: tree_sitter.Node, symbols: FileSymbols) -> None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "enumerator_list":
            value = -1
            for e in node.named_children:
                if e.type != "enumerator":
                    continue
                name = _text(e.child_by_field_name("name"))
                expr = e.child_by_field_name("value")
                if expr is None:
                    value += 1
                else:
                    known = constant_value(expr, symbols.enums, symbols.macros)
                    if known is None:
                        break  # later enumerators depend on a value we do not know
                    value = known
                symbols.enums.setdefault(name, value)
            continue
        if node.type == "function_definition":
            continue
        stack.extend(node.children)


def _text(node: tree_sitter.Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode()


_OPS: dict[str, Any] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b, "|": lambda a, b: a | b,
    "&": lambda a, b: a & b, "^": lambda a, b: a ^ b,
    "/": lambda a, b: a // b if b else None, "%": lambda a, b: a % b if b else None,
}


def constant_value(node: tree_sitter.Node, enums: dict[str, int], macros: dict[str, MacroDef],
                   depth: int = 0) -> int | None:
    """An integer constant expression of enumerators, macros and literals; None if not one."""
    if depth > 20:
        return None
    t = node.type
    if t == "number_literal":
        try:
            return int(_text(node).rstrip("uUlL"), 0)
        except ValueError:
            return None
    if t == "identifier":
        name = _text(node)
        if name in enums:
            return enums[name]
        macro = macros.get(name)
        if macro is not None and macro.params is None and macro.body:
            inner = parse_c(f"int __v = {macro.body};").root_node
            decl = inner.named_children[0] if inner.named_children else None
            init = decl.child_by_field_name("declarator") if decl is not None else None
            value = init.child_by_field_name("value") if init is not None else None
            return constant_value(value, enums, macros, depth + 1) if value is not None else None
        return None
    if t == "parenthesized_expression" and node.named_children:
        return constant_value(node.named_children[0], enums, macros, depth + 1)
    if t == "cast_expression":
        value = node.child_by_field_name("value")
        return constant_value(value, enums, macros, depth + 1) if value is not None else None
    if t == "unary_expression":
        arg = node.child_by_field_name("argument")
        v = constant_value(arg, enums, macros, depth + 1) if arg is not None else None
        op = _text(node.child_by_field_name("operator"))
        if v is None:
            return None
        return {"-": -v, "~": ~v, "!": int(not v), "+": v}.get(op)
    if t == "binary_expression":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is None or right is None:
            return None
        a = constant_value(left, enums, macros, depth + 1)
        b = constant_value(right, enums, macros, depth + 1)
        fn = _OPS.get(_text(node.child_by_field_name("operator")))
        if a is None or b is None or fn is None:
            return None
        result: int | None = fn(a, b)
        return result
    return None
