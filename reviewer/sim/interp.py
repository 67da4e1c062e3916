"""The C interpreter: a function's tree-sitter AST compiled once into generator closures.

A :class:`Program` resolves every call: the revision's own functions are interpreted from their C
source; other names go to the kernel model's primitives, then to C source from the tree's
:class:`SourceLookup`; a name found nowhere fails with ``calls <fn>`` when reached.
``#ifdef``/``#if`` inside bodies are decided at compile time against the kconfig map.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import tree_sitter

from ..cparse import parse_c
from ..model import FunctionImage
from ._cexpr import Expr, ExprCompiler, Frame, Loc, lift, named_children, node_text, normaliser
from ._errors import NotAnalysed
from .model import PRIMITIVES
from .model.state import Cpu, Gen

__all__ = ["CFunction", "Program", "SourceLookup"]

_NORMAL, _BREAK, _CONTINUE, _RETURN = 0, 1, 2, 3
Stmt = Callable[[Frame], Gen]
CFunction = Callable[[Cpu, list[Any]], Gen]
_MAX_DEPTH = 32
_MACROS: dict[str, tuple[str, tuple[Any, ...]]] = {"__free_page": ("__free_pages", (0,))}
"""Function-like macros: ``__free_page(p)`` is ``__free_pages(p, 0)``, so a revision's
__free_pages is what it runs."""


class SourceLookup(Protocol):
    def lookup(self, name: str) -> FunctionImage | None: ...


class Program:
    """The functions one simulation may call, compiled on first use."""

    def __init__(self, images: Mapping[str, FunctionImage], *, kconfig: Mapping[str, bool | int | str],
                 lookup: SourceLookup | None, debug_vm: bool) -> None:
        self.images = dict(images)
        self.kconfig = kconfig
        self.lookup = lookup
        self.debug_vm = debug_vm
        self._compiled: dict[str, CFunction] = {}

    def function(self, name: str, loc: Loc | None = None) -> CFunction:
        """The callable for ``name``; raises NotAnalysed when nothing provides it."""
        found = self._compiled.get(name)
        if found is not None:
            return found
        if name in _MACROS and name not in self.images:
            target, extra = _MACROS[name]
            program = self

            def alias(cx: Cpu, args: list[Any]) -> Gen:
                return program.function(target, loc)(cx, [*args, *extra])

            self._compiled[name] = alias
            return alias
        image = self.images.get(name)
        if image is None and name not in PRIMITIVES and self.lookup is not None:
            image = self.lookup.lookup(name)
        if image is not None and (name in self.images or name not in PRIMITIVES):
            fn = self.compile_image(image, name)
        elif name in PRIMITIVES:
            prim = PRIMITIVES[name]

            def fn(cx: Cpu, args: list[Any]) -> Gen:
                return prim(cx, *args)
        else:
            where = f" at {loc[0]}:{loc[1]}" if loc else ""
            raise NotAnalysed(f"calls {name}(), which neither the model nor the tree provides{where}")
        self._compiled[name] = fn
        return fn

    def compile_image(self, image: FunctionImage, name: str, *, file: str | None = None) -> CFunction:
        if not image.complete:
            return _failing(f"{name}() is not wholly inside the hunks at {image.path}:{image.start_line}")
        if image.problems:
            return _failing(f"{name}(): {image.problems[0]}")
        tree = parse_c(image.source)
        for node in tree.root_node.named_children:
            if node.type == "function_definition" and _declared_name(node) == name:
                if node.has_error:  # tree-sitter's recovery drops or reshapes code: never run a guess
                    line = image.start_line + _first_error_row(node)
                    return _failing(f"tree-sitter could not parse {name}() at {file or image.path}:{line}")
                return _FunctionCompiler(self, image, node, file or image.path).build()
        return _failing(f"no definition of {name}() parses at {image.path}:{image.start_line}")


def _failing(reason: str) -> CFunction:
    def fn(cx: Cpu, args: list[Any]) -> Gen:
        raise NotAnalysed(reason)
        yield

    return fn


def _first_error_row(node: tree_sitter.Node) -> int:
    """The 0-based row of the first ERROR or MISSING node under ``node``."""
    while node.type != "ERROR" and not node.is_missing:
        bad = [c for c in node.children if c.has_error or c.is_missing]
        if not bad:
            break
        node = bad[0]
    return node.start_point.row


def _declared_name(node: tree_sitter.Node) -> str:
    decl = node.child_by_field_name("declarator")
    while decl is not None and decl.type != "function_declarator":
        decl = decl.child_by_field_name("declarator")
    ident = decl.child_by_field_name("declarator") if decl is not None else None
    return node_text(ident)


def _declarator_name(decl: tree_sitter.Node) -> tuple[str, bool, bool]:
    """(name, is pointer, is array) of a (possibly pointer) declarator."""
    pointer = array = False
    while decl.type != "identifier":
        if decl.type == "pointer_declarator":
            pointer = True
        elif decl.type == "array_declarator":
            array = True
        nxt = decl.child_by_field_name("declarator")
        if nxt is None:
            return node_text(decl), pointer, True
        decl = nxt
    return node_text(decl), pointer, array


class _FunctionCompiler:
    def __init__(self, program: Program, image: FunctionImage, node: tree_sitter.Node, file: str) -> None:
        self.program = program
        self.image = image
        self.node = node
        self.file = file
        self.lines = image.source.split("\n")
        self.scopes: list[dict[str, tuple[int, Callable[[Any], Any]]]] = [{}]
        self.nslots = 2
        self.exprs = ExprCompiler(self)
        self.name = _declared_name(node)

    # ---- the Scope protocol used by ExprCompiler
    def slot(self, name: str) -> tuple[int, Callable[[Any], Any]] | None:
        for scope in reversed(self.scopes):
            if name in scope:
                slot: tuple[int, Callable[[Any], Any]] = scope[name]
                return slot
        return None

    def loc(self, node: tree_sitter.Node) -> Loc:
        row = node.start_point.row
        text = self.lines[row].strip() if row < len(self.lines) else ""
        return (self.file, self.image.start_line + row, text)

    def call(self, name: str, loc: Loc) -> CFunction:
        program = self.program
        cell: list[CFunction] = []

        def lazy(cx: Cpu, args: list[Any]) -> Gen:
            if not cell:
                cell.append(program.function(name, loc))
            return cell[0](cx, args)

        return lazy

    @property
    def debug_vm(self) -> bool:
        return self.program.debug_vm

    def declare(self, name: str, norm: Callable[[Any], Any]) -> int:
        i = self.nslots
        self.nslots += 1
        self.scopes[-1][name] = (i, norm)
        return i

    # ---- function
    def build(self) -> CFunction:
        decl = self.node.child_by_field_name("declarator")
        returns_pointer = False
        while decl is not None and decl.type != "function_declarator":
            returns_pointer = returns_pointer or decl.type == "pointer_declarator"
            decl = decl.child_by_field_name("declarator")
        # C converts the returned value to the declared type (bool f() returns 0 or 1)
        ret_norm = normaliser(node_text(self.node.child_by_field_name("type")), returns_pointer)
        params: list[int] = []
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        for p in named_children(plist) if plist is not None else []:
            if p.type != "parameter_declaration":
                return _failing(f"parameter `{node_text(p)}` of {self.name}() at {self.loc(p)[0]}:{self.loc(p)[1]}")
            d = p.child_by_field_name("declarator")
            if d is None:  # (void)
                continue
            pname, pointer, _ = _declarator_name(d)
            params.append(self.declare(pname, normaliser(node_text(p.child_by_field_name("type")), pointer)))
        body = self.stmt(self.node.child_by_field_name("body") or self.node)
        nslots, fname, where = self.nslots, self.name, self.loc(self.node)
        norms = [self.slot_norm(i) for i in params]

        def fn(cx: Cpu, args: list[Any]) -> Gen:
            if len(args) != len(params):
                raise NotAnalysed(f"{fname}() called with {len(args)} arguments at {cx.loc[0]}:{cx.loc[1]}")
            if len(cx.stack) > _MAX_DEPTH:
                raise NotAnalysed(f"call depth above {_MAX_DEPTH} in {fname}() at {where[0]}:{where[1]}")
            fr: Frame = [cx, None] + [0] * (nslots - 2)
            for i, norm, v in zip(params, norms, args, strict=True):
                fr[i] = norm(v)
            cx.called.add(fname)
            cx.enter(fname)
            yield from body(fr)
            cx.stack.pop()
            return ret_norm(fr[1])

        return fn

    def slot_norm(self, i: int) -> Callable[[Any], Any]:
        for scope in self.scopes:
            for slot, norm in scope.values():
                if slot == i:
                    return norm
        raise AssertionError(i)

    # ---- statements
    def stmt(self, node: tree_sitter.Node) -> Stmt:
        handler = getattr(self, "_s_" + node.type, None)
        loc = self.loc(node)
        if handler is None:
            return _raise_stmt(f"unsupported C statement {node.type} `{node_text(node).splitlines()[0]}`", loc)
        try:
            body: Stmt = handler(node)
        except NotAnalysed as exc:
            return _raise_stmt(str(exc), loc)
        return body

    def block(self, nodes: list[tree_sitter.Node]) -> Stmt:
        stmts = [self.stmt(n) for n in nodes if n.type not in ("comment", "{", "}")]
        if len(stmts) == 1:
            return stmts[0]

        def g(fr: Frame) -> Gen:
            for s in stmts:
                code = yield from s(fr)
                if code:
                    return code
            return _NORMAL

        return g

    def _s_compound_statement(self, node: tree_sitter.Node) -> Stmt:
        self.scopes.append({})
        body = self.block(list(node.named_children))
        self.scopes.pop()
        return body

    def _s_comment(self, node: tree_sitter.Node) -> Stmt:
        return _nothing

    def _s_expression_statement(self, node: tree_sitter.Node) -> Stmt:
        inner = named_children(node)
        if not inner:
            return _nothing
        return self._located(self.exprs.compile(inner[0]), self.loc(node))

    def _located(self, e: Expr, loc: Loc) -> Stmt:
        eg = lift(e)

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            yield from eg(fr)
            return _NORMAL

        return g

    def _s_declaration(self, node: tree_sitter.Node) -> Stmt:
        type_text = node_text(node.child_by_field_name("type"))
        parts: list[Stmt] = []
        for d in node.children_by_field_name("declarator"):
            init = d.child_by_field_name("value") if d.type == "init_declarator" else None
            target = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            assert target is not None
            name, pointer, array = _declarator_name(target)
            if array:
                raise NotAnalysed(f"array declaration `{node_text(d)}` at {self.loc(d)[0]}:{self.loc(d)[1]}")
            value = self.exprs.compile(init) if init is not None else Expr(False, lambda fr: 0)
            slot = self.declare(name, normaliser(type_text, pointer))  # after the initialiser: C scope
            norm = self.slot_norm(slot)
            vg = lift(value)
            loc = self.loc(d)

            def g(fr: Frame, vg: Callable[[Frame], Gen] = vg, slot: int = slot,
                  norm: Callable[[Any], Any] = norm, loc: Loc = loc) -> Gen:
                fr[0].loc = loc
                fr[slot] = norm((yield from vg(fr)))
                return _NORMAL

            parts.append(g)
        return self._seq(parts)

    def _seq(self, parts: list[Stmt]) -> Stmt:
        if len(parts) == 1:
            return parts[0]

        def g(fr: Frame) -> Gen:
            for p in parts:
                yield from p(fr)
            return _NORMAL

        return g

    def _cond(self, node: tree_sitter.Node) -> Callable[[Frame], Gen]:
        cond = node.child_by_field_name("condition")
        if cond is None:
            raise NotAnalysed(f"{node.type} without a condition")
        if cond.type in ("parenthesized_expression", "condition_clause"):
            inner = named_children(cond)
            cond = inner[-1] if inner else cond
        e = lift(self.exprs.compile(cond))
        loc = self.loc(cond)

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            return (yield from e(fr))

        return g

    def _s_if_statement(self, node: tree_sitter.Node) -> Stmt:
        cond = self._cond(node)
        then = self.stmt(node.child_by_field_name("consequence") or node)
        alt_node = node.child_by_field_name("alternative")
        if alt_node is not None and alt_node.type == "else_clause":
            alt_node = named_children(alt_node)[0]
        alt = self.stmt(alt_node) if alt_node is not None else _nothing

        def g(fr: Frame) -> Gen:
            c = yield from cond(fr)
            return (yield from (then if c else alt)(fr))

        return g

    def _loop(self, cond: Callable[[Frame], Gen] | None, body: Stmt, update: Callable[[Frame], Gen] | None,
              test_first: bool) -> Stmt:
        def g(fr: Frame) -> Gen:
            first = True
            while True:
                if (test_first or not first) and cond is not None and not (yield from cond(fr)):
                    return _NORMAL
                first = False
                code = yield from body(fr)
                if code == _BREAK:
                    return _NORMAL
                if code == _RETURN:
                    return code
                if update is not None:
                    yield from update(fr)

        return g

    def _s_while_statement(self, node: tree_sitter.Node) -> Stmt:
        return self._loop(self._cond(node), self.stmt(node.child_by_field_name("body") or node), None, True)

    def _s_do_statement(self, node: tree_sitter.Node) -> Stmt:
        return self._loop(self._cond(node), self.stmt(node.child_by_field_name("body") or node), None, False)

    def _s_for_statement(self, node: tree_sitter.Node) -> Stmt:
        self.scopes.append({})
        init_node = node.child_by_field_name("initializer")
        init: Stmt = _nothing
        if init_node is not None:
            init = self.stmt(init_node) if init_node.type == "declaration" else self._located(
                self.exprs.compile(init_node), self.loc(init_node))
        cond_node = node.child_by_field_name("condition")
        cond = lift(self.exprs.compile(cond_node)) if cond_node is not None else None
        upd_node = node.child_by_field_name("update")
        update = lift(self.exprs.compile(upd_node)) if upd_node is not None else None
        body = self.stmt(node.child_by_field_name("body") or node)
        self.scopes.pop()
        loop = self._loop(cond, body, update, True)

        def g(fr: Frame) -> Gen:
            yield from init(fr)
            return (yield from loop(fr))

        return g

    def _s_return_statement(self, node: tree_sitter.Node) -> Stmt:
        inner = named_children(node)
        loc = self.loc(node)
        vg = lift(self.exprs.compile(inner[0])) if inner else None

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            if vg is not None:
                fr[1] = yield from vg(fr)
            return _RETURN

        return g

    def _s_break_statement(self, node: tree_sitter.Node) -> Stmt:
        return _const_stmt(_BREAK)

    def _s_continue_statement(self, node: tree_sitter.Node) -> Stmt:
        return _const_stmt(_CONTINUE)

    # ---- preprocessor conditionals inside bodies, decided against kconfig now
    def _s_preproc_ifdef(self, node: tree_sitter.Node) -> Stmt:
        name = node_text(node.child_by_field_name("name"))
        taken = self._pp_defined(name, node)
        if node.children and node_text(node.children[0]) == "#ifndef":
            taken = not taken
        return self._preproc_branch(node, taken)

    def _s_preproc_if(self, node: tree_sitter.Node) -> Stmt:
        cond = node.child_by_field_name("condition")
        if cond is None:
            raise NotAnalysed("#if without a condition")
        return self._preproc_branch(node, bool(self._pp_eval(cond)))

    _s_preproc_elif = _s_preproc_if

    def _s_preproc_else(self, node: tree_sitter.Node) -> Stmt:
        return self._preproc_branch(node, True)

    def _preproc_branch(self, node: tree_sitter.Node, taken: bool) -> Stmt:
        alternative = node.child_by_field_name("alternative")
        if not taken:
            return self.stmt(alternative) if alternative is not None else _nothing
        skip = {(c.start_byte, c.end_byte) for c in (node.child_by_field_name("name"),
                node.child_by_field_name("condition"), alternative) if c is not None}
        body = [c for c in node.named_children
                if (c.start_byte, c.end_byte) not in skip and c.type != "comment"]
        return self.block(body)

    def _pp_eval(self, node: tree_sitter.Node) -> int:
        t = node.type
        if t == "number_literal":
            return int(node_text(node).rstrip("uUlL"), 0)
        if t == "identifier":
            name = node_text(node)
            self._pp_defined(name, node)  # a macro outside kconfig has a value we do not know
            v = self.program.kconfig.get(name, 0)
            return v if isinstance(v, int) else int(_kconfig_defined(self.program.kconfig, name))
        if t == "preproc_defined":
            return int(self._pp_defined(node_text(named_children(node)[0]), node))
        if t == "call_expression" and node_text(node.child_by_field_name("function")) in ("IS_ENABLED", "IS_BUILTIN"):
            return int(self._pp_defined(node_text(named_children(node.child_by_field_name("arguments") or node)[0]), node))
        if t == "parenthesized_expression":
            return self._pp_eval(named_children(node)[0])
        if t == "unary_expression" and node_text(node.child_by_field_name("operator")) == "!":
            return int(not self._pp_eval(node.child_by_field_name("argument") or node))
        if t == "binary_expression":
            op = node_text(node.child_by_field_name("operator"))
            a = self._pp_eval(node.child_by_field_name("left") or node)
            b = self._pp_eval(node.child_by_field_name("right") or node)
            table = {"&&": int(bool(a and b)), "||": int(bool(a or b)), "==": int(a == b), "!=": int(a != b),
                     ">": int(a > b), "<": int(a < b), ">=": int(a >= b), "<=": int(a <= b)}
            if op in table:
                return table[op]
        loc = self.loc(node)
        raise NotAnalysed(f"preprocessor condition `{node_text(node)}` at {loc[0]}:{loc[1]}")

    def _pp_defined(self, name: str, node: tree_sitter.Node) -> bool:
        """A CONFIG_ symbol the map lacks is unset; other macros (MAX_ORDER, ...) come from unread headers."""
        if name in self.program.kconfig or name.startswith("CONFIG_"):
            return _kconfig_defined(self.program.kconfig, name)
        loc = self.loc(node)
        raise NotAnalysed(f"preprocessor test of `{name}`, which is not a kconfig symbol, at {loc[0]}:{loc[1]}")


def _kconfig_defined(kconfig: Mapping[str, bool | int | str], name: str) -> bool:
    value = kconfig.get(name, False)
    if isinstance(value, str):
        return value not in ("", "n")
    return bool(value)


def _nothing(fr: Frame) -> Gen:
    return _NORMAL
    yield


def _const_stmt(code: int) -> Stmt:
    def g(fr: Frame) -> Gen:
        return code
        yield

    return g


def _raise_stmt(reason: str, loc: Loc) -> Stmt:
    message = reason if " at " in reason else f"{reason} at {loc[0]}:{loc[1]}"

    def g(fr: Frame) -> Gen:
        raise NotAnalysed(message)
        yield

    return g
