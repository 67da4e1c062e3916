"""C statements compiled into generator closures (the function compiler's statement half).

A statement returns a completion code: normal, break, continue, return, or goto (the label in
frame slot 2; the enclosing block that holds the label resumes there). Every loop iteration and
every backward goto counts against the thread's iteration budget, so a loop that never touches
shared state (and so never yields to the explorer) still ends, as "budget exceeded".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

import tree_sitter

from ._cexpr import Expr, ExprCompiler, Frame, Loc, lift, named_children, node_text
from ._ctypes import normaliser
from ._errors import BudgetExceeded, NotAnalysed
from .model.state import Gen

__all__ = ["BREAK", "CONTINUE", "GOTO", "NORMAL", "RETURN", "Stmt", "StatementCompiler", "nothing", "raise_stmt"]

NORMAL, BREAK, CONTINUE, RETURN, GOTO = 0, 1, 2, 3, 4
Stmt = Callable[[Frame], Gen]


class StatementCompiler(ABC):
    """Mixed into the function compiler, which provides the scope (declare, loc, exprs, ...)."""

    exprs: ExprCompiler
    scopes: list[dict[str, Any]]
    name: str
    max_iterations: int
    _loc_override: list[Loc]
    """Where steps are cited while a macro's expansion compiles (the use's line), innermost last."""

    @abstractmethod
    def loc(self, node: tree_sitter.Node) -> Loc:
        """Provided by the function compiler."""

    @abstractmethod
    def declare(self, name: str, type_text: str, pointer: bool, array: bool = False, struct: bool = False) -> int:
        """Provided by the function compiler."""

    @abstractmethod
    def declare_static(self, name: str, init: Any) -> str:
        """Provided by the function compiler."""

    @abstractmethod
    def pp_ifdef(self, node: tree_sitter.Node) -> bool:
        """Provided by the function compiler."""

    @abstractmethod
    def pp_value(self, node: tree_sitter.Node) -> int:
        """Provided by the function compiler."""

    @abstractmethod
    def loop_macro(self, call: tree_sitter.Node) -> tree_sitter.Node | None:
        """The ``for`` statement a loop macro's use (``list_for_each_entry(pos, head, lru)``)
        expands to, or None when ``call`` is no such use. Provided by the function compiler."""

    # ---- dispatch
    def stmt(self, node: tree_sitter.Node) -> Stmt:
        handler = getattr(self, "_s_" + node.type, None)
        loc = self.loc(node)
        if handler is None:
            return raise_stmt(f"unsupported C statement {node.type} `{node_text(node).splitlines()[0]}`", loc)
        try:
            body: Stmt = handler(node)
        except NotAnalysed as exc:
            return raise_stmt(str(exc), loc)
        return body

    def block(self, nodes: list[tree_sitter.Node]) -> Stmt:
        stmts: list[Stmt] = []
        labels: dict[str, int] = {}
        for n in nodes:
            if n.type in ("comment", "{", "}"):
                continue
            while n.type == "labeled_statement":
                labels[node_text(n.child_by_field_name("label"))] = len(stmts)
                inner = [c for c in n.named_children if c.type not in ("statement_identifier", "comment")]
                if not inner:
                    break
                n = inner[0]
            if n.type != "labeled_statement":
                stmts.append(self.stmt(n))
            else:
                stmts.append(nothing)
        if len(stmts) == 1 and not labels:
            return stmts[0]
        limit = self.max_iterations

        def g(fr: Frame) -> Gen:
            i = 0
            while i < len(stmts):
                code = yield from stmts[i](fr)
                if code == GOTO and fr[2] in labels:
                    target = labels[fr[2]]
                    if target <= i:
                        _count(fr, limit)
                    i = target
                    continue
                if code:
                    return code
                i += 1
            return NORMAL

        return g

    def _s_compound_statement(self, node: tree_sitter.Node) -> Stmt:
        self.scopes.append({})
        body = self.block(list(node.named_children))
        self.scopes.pop()
        return body

    def _s_comment(self, node: tree_sitter.Node) -> Stmt:
        return nothing

    def _s_expression_statement(self, node: tree_sitter.Node) -> Stmt:
        inner = named_children(node)
        if not inner:
            return nothing
        return self.located(self.exprs.compile(inner[0]), self.loc(node))

    def located(self, e: Expr, loc: Loc) -> Stmt:
        eg = lift(e)

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            yield from eg(fr)
            return NORMAL

        return g

    def _s_declaration(self, node: tree_sitter.Node) -> Stmt:
        type_text = node_text(node.child_by_field_name("type"))
        static = any(c.type == "storage_class_specifier" and node_text(c) == "static" for c in node.children)
        parts: list[Stmt] = []
        for d in node.children_by_field_name("declarator"):
            init = d.child_by_field_name("value") if d.type == "init_declarator" else None
            target = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            assert target is not None
            name, pointer, array = declarator_name(target)
            if target.type == "function_declarator" and "(*" not in node_text(target).replace(" ", ""):
                continue  # a local prototype (a function pointer variable is declared below)
            loc = self.loc(d)
            if static:
                self.declare_static(name, self._constant(init, loc) if init is not None else 0)
                continue
            if array:
                parts.append(self._array(name, type_text, target, init, loc))
                continue
            if not pointer and type_text.split()[:1] == ["struct"]:
                parts.append(self._struct_local(name, " ".join(type_text.split()), init, loc))
                continue
            if init is not None and init.type == "initializer_list":
                raise NotAnalysed(f"struct initialiser `{node_text(d)}` at {loc[0]}:{loc[1]}")
            value = self.exprs.compile(init) if init is not None else Expr(False, lambda fr: 0)
            slot = self.declare(name, type_text, pointer)  # after the initialiser: C scope
            norm = normaliser(type_text, pointer)
            vg = lift(value)

            def g(fr: Frame, vg: Callable[[Frame], Gen] = vg, slot: int = slot,
                  norm: Callable[[Any], Any] = norm, loc: Loc = loc) -> Gen:
                fr[0].loc = loc
                fr[slot] = norm((yield from vg(fr)))
                return NORMAL

            parts.append(g)
        return _seq(parts)

    def _struct_local(self, name: str, ctype: str, init: tree_sitter.Node | None, loc: Loc) -> Stmt:
        """A struct on the stack: memory of its type (PathPtr), members written by the initialiser
        (positional, in the tree's layout order, or designated)."""
        items: list[tuple[str | int, Callable[[Frame], Gen]]] = []
        slot = self.declare(name, ctype, False, struct=True)  # in scope in its own initialiser
        init = self._initialiser(init)
        if init is not None and init.type != "initializer_list":
            raise NotAnalysed(f"struct `{name}` initialised from `{node_text(init)}` at {loc[0]}:{loc[1]}")
        for i, item in enumerate(named_children(init) if init is not None else []):
            if item.type == "initializer_pair":
                designator = item.child_by_field_name("designator")
                value = item.child_by_field_name("value")
                if designator is None or value is None or designator.type != "field_designator":
                    raise NotAnalysed(f"initialiser `{node_text(item)}` at {loc[0]}:{loc[1]}")
                items.append((node_text(designator).lstrip("."), lift(self.exprs.compile(value))))
            else:
                items.append((i, lift(self.exprs.compile(item))))
        where = f"{self.name}.{name}"

        def g(fr: Frame) -> Gen:
            from ._cplace import store
            from .memory import PathPtr

            cx = fr[0]
            cx.loc = loc
            cx.objects += 1
            obj = PathPtr(f"{cx.name}:{where}#{cx.objects}", (), ctype)
            fr[slot] = obj
            layout = list((cx.layout(obj.struct) or {}).items()) if cx.layout is not None else []
            for key, vg in items:
                member, mtype = (key, dict(layout).get(key, "")) if isinstance(key, str) else \
                    layout[key] if key < len(layout) else (None, "")
                if member is None:
                    raise NotAnalysed(f"initialiser {key} of struct `{name}`: layout unknown at {loc[0]}:{loc[1]}")
                v = yield from vg(fr)
                yield from store(cx, obj.member(member, mtype), v, f"{name}.{member}")
            return NORMAL

        return g

    def _initialiser(self, init: tree_sitter.Node | None) -> tree_sitter.Node | None:
        """An initialiser written as a macro (``LIST_HEAD_INIT(x)``) expanded to its braces."""
        if init is None or init.type != "call_expression":
            return init
        fn = init.child_by_field_name("function")
        macro = self.exprs.scope.macro(node_text(fn)) if fn is not None and fn.type == "identifier" else None
        if macro is None or macro.macro.params is None:
            return init
        from ..cparse import parse_c
        from .resolve import expand_call

        text = expand_call(macro.macro.definition(), node_text(init))
        tree = parse_c(f"int __x = {text};")
        decl = tree.root_node.named_children[0] if tree.root_node.named_children else None
        d = decl.child_by_field_name("declarator") if decl is not None else None
        value = d.child_by_field_name("value") if d is not None else None
        return value if value is not None and not value.has_error else init

    def _constant(self, node: tree_sitter.Node, loc: Loc) -> Any:
        e = self.exprs.compile(node)
        if e.gen:
            raise NotAnalysed(f"static initialiser `{node_text(node)}` is not a constant at {loc[0]}:{loc[1]}")
        return e.fn([None, None, None])

    def _array(self, name: str, type_text: str, target: tree_sitter.Node, init: tree_sitter.Node | None,
               loc: Loc) -> Stmt:
        size_node = target.child_by_field_name("size")
        values = named_children(init) if init is not None and init.type == "initializer_list" else []
        size = self._constant(size_node, loc) if size_node is not None else len(values)
        if not isinstance(size, int) or size <= 0 or size > 4096:
            raise NotAnalysed(f"array `{name}` of size {size!r} at {loc[0]}:{loc[1]}")
        inits = [lift(self.exprs.compile(v)) for v in values if v.type != "initializer_pair"]
        slot = self.declare(name, type_text, False, array=True)
        norm = normaliser(type_text, False)

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            items = [0] * size
            for i, ig in enumerate(inits[:size]):
                items[i] = norm((yield from ig(fr)))
            fr[slot] = items
            return NORMAL

        return g

    def cond(self, node: tree_sitter.Node) -> Callable[[Frame], Gen]:
        c = node.child_by_field_name("condition")
        if c is None:
            raise NotAnalysed(f"{node.type} without a condition")
        if c.type in ("parenthesized_expression", "condition_clause"):
            inner = named_children(c)
            c = inner[-1] if inner else c
        e = lift(self.exprs.compile(c))
        loc = self.loc(c)

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            return (yield from e(fr))

        return g

    def _s_if_statement(self, node: tree_sitter.Node) -> Stmt:
        c = self.cond(node)
        then = self.stmt(node.child_by_field_name("consequence") or node)
        alt_node = node.child_by_field_name("alternative")
        if alt_node is not None and alt_node.type == "else_clause":
            alt_node = named_children(alt_node)[0]
        alt = self.stmt(alt_node) if alt_node is not None else nothing

        def g(fr: Frame) -> Gen:
            v = yield from c(fr)
            return (yield from (then if v else alt)(fr))

        return g

    def loop(self, c: Callable[[Frame], Gen] | None, body: Stmt, update: Callable[[Frame], Gen] | None,
             test_first: bool) -> Stmt:
        limit = self.max_iterations

        def g(fr: Frame) -> Gen:
            first = True
            while True:
                if (test_first or not first) and c is not None and not (yield from c(fr)):
                    return NORMAL
                first = False
                _count(fr, limit)
                code = yield from body(fr)
                if code == BREAK:
                    return NORMAL
                if code in (RETURN, GOTO):
                    return code
                if update is not None:
                    yield from update(fr)

        return g

    def _s_while_statement(self, node: tree_sitter.Node) -> Stmt:
        return self.loop(self.cond(node), self.stmt(node.child_by_field_name("body") or node), None, True)

    def _s_do_statement(self, node: tree_sitter.Node) -> Stmt:
        return self.loop(self.cond(node), self.stmt(node.child_by_field_name("body") or node), None, False)

    def _s_for_statement(self, node: tree_sitter.Node) -> Stmt:
        body_node = node.child_by_field_name("body") or node
        header = node
        cond_node = node.child_by_field_name("condition")
        macro = None
        if cond_node is not None and cond_node.type == "call_expression" and not any(
                node.child_by_field_name(f) for f in ("initializer", "update")):
            macro = self.loop_macro(cond_node)  # `for (; list_for_each_entry(...);)`: see Program
            if macro is not None:
                header = macro
                self._loc_override.append(self.loc(cond_node))  # the expansion has no lines of its own
        self.scopes.append({})
        try:
            init_node = header.child_by_field_name("initializer")
            init: Stmt = nothing
            if init_node is not None:
                init = self.stmt(init_node) if init_node.type == "declaration" else self.located(
                    self.exprs.compile(init_node), self.loc(init_node))
            cond_node = header.child_by_field_name("condition")
            c = lift(self.exprs.compile(cond_node)) if cond_node is not None else None
            upd_node = header.child_by_field_name("update")
            update = lift(self.exprs.compile(upd_node)) if upd_node is not None else None
        finally:
            if macro is not None:
                self._loc_override.pop()
        body = self.stmt(body_node)
        self.scopes.pop()
        loop = self.loop(c, body, update, True)

        def g(fr: Frame) -> Gen:
            yield from init(fr)
            return (yield from loop(fr))

        return g

    def _s_switch_statement(self, node: tree_sitter.Node) -> Stmt:
        c = self.cond(node)
        body = node.child_by_field_name("body")
        if body is None:
            raise NotAnalysed("switch without a body")
        self.scopes.append({})
        flat: list[tree_sitter.Node] = []
        entries: dict[Any, int] = {}
        default: int | None = None
        for case in named_children(body):
            if case.type != "case_statement":
                flat.append(case)
                continue
            value = case.child_by_field_name("value")
            if value is None:
                default = len(flat)
            else:
                entries.setdefault(self._constant(value, self.loc(value)), len(flat))
            flat.extend(c2 for c2 in named_children(case) if value is None or c2.id != value.id)
        stmts = [self.stmt(n) for n in flat]
        self.scopes.pop()

        def g(fr: Frame) -> Gen:
            v = yield from c(fr)
            start = entries.get(v, default)
            if start is None:
                return NORMAL
            for s in stmts[start:]:
                code = yield from s(fr)
                if code == BREAK:
                    return NORMAL
                if code:
                    return code
            return NORMAL

        return g

    def _s_return_statement(self, node: tree_sitter.Node) -> Stmt:
        inner = named_children(node)
        loc = self.loc(node)
        vg = lift(self.exprs.compile(inner[0])) if inner else None

        def g(fr: Frame) -> Gen:
            fr[0].loc = loc
            if vg is not None:
                fr[1] = yield from vg(fr)
            return RETURN

        return g

    def _s_break_statement(self, node: tree_sitter.Node) -> Stmt:
        return const_stmt(BREAK)

    def _s_continue_statement(self, node: tree_sitter.Node) -> Stmt:
        return const_stmt(CONTINUE)

    def _s_goto_statement(self, node: tree_sitter.Node) -> Stmt:
        label = node_text(node.child_by_field_name("label"))

        def g(fr: Frame) -> Gen:
            fr[2] = label
            return GOTO
            yield

        return g

    def _s_labeled_statement(self, node: tree_sitter.Node) -> Stmt:
        return self.block([node])

    # ---- preprocessor conditionals inside bodies, decided against kconfig now
    def _s_preproc_ifdef(self, node: tree_sitter.Node) -> Stmt:
        return self._preproc_branch(node, self.pp_ifdef(node))

    def _s_preproc_if(self, node: tree_sitter.Node) -> Stmt:
        c = node.child_by_field_name("condition")
        if c is None:
            raise NotAnalysed("#if without a condition")
        return self._preproc_branch(node, bool(self.pp_value(c)))

    _s_preproc_elif = _s_preproc_if

    def _s_preproc_else(self, node: tree_sitter.Node) -> Stmt:
        return self._preproc_branch(node, True)

    def _preproc_branch(self, node: tree_sitter.Node, taken: bool) -> Stmt:
        alternative = node.child_by_field_name("alternative")
        if not taken:
            return self.stmt(alternative) if alternative is not None else nothing
        skip = {(c.start_byte, c.end_byte) for c in (node.child_by_field_name("name"),
                node.child_by_field_name("condition"), alternative) if c is not None}
        body = [c for c in node.named_children
                if (c.start_byte, c.end_byte) not in skip and c.type != "comment"]
        return self.block(body)

    def _s_preproc_call(self, node: tree_sitter.Node) -> Stmt:
        return nothing  # #pragma and the like inside a body


def _count(fr: Frame, limit: int) -> None:
    cx = fr[0]
    cx.iterations += 1
    if cx.iterations > limit:
        raise BudgetExceeded(f"{cx.name}: more than {limit} loop iterations (the step budget) "
                             f"at {cx.loc[0]}:{cx.loc[1]}")


def declarator_name(decl: tree_sitter.Node) -> tuple[str, bool, bool]:
    """(name, is pointer, is array) of a (possibly pointer) declarator."""
    pointer = array = False
    while decl.type != "identifier":
        if decl.type == "pointer_declarator":
            pointer = True
        elif decl.type == "array_declarator":
            array = True
        nxt = decl.child_by_field_name("declarator")
        if nxt is None and decl.type == "parenthesized_declarator" and decl.named_children:
            nxt = decl.named_children[0]
        if nxt is None:
            return node_text(decl), pointer, True
        decl = nxt
    return node_text(decl), pointer, array


def _seq(parts: list[Stmt]) -> Stmt:
    if len(parts) == 1:
        return parts[0]

    def g(fr: Frame) -> Gen:
        for p in parts:
            yield from p(fr)
        return NORMAL

    return g


def nothing(fr: Frame) -> Gen:
    return NORMAL
    yield


def const_stmt(code: int) -> Stmt:
    def g(fr: Frame) -> Gen:
        return code
        yield

    return g


def raise_stmt(reason: str, loc: Loc) -> Stmt:
    message = reason if " at " in reason else f"{reason} at {loc[0]}:{loc[1]}"

    def g(fr: Frame) -> Gen:
        raise NotAnalysed(message)
        yield

    return g

