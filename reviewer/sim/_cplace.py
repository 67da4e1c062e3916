"""Places: what ``->``, ``.``, ``*``, ``[]`` and ``&`` denote, and assignments to them.

A place is a pointer value from :mod:`.memory` (a page field, a local, an array element, a
static). Loading or storing a shared place (a page field, a static) is one step: the compiled
code yields right before it. Locals stay plain frame slots.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import tree_sitter

from ._cexpr import (
    ASSIGN_OPS,
    BINARY,
    Expr,
    Frame,
    fail,
    field,
    lift,
    named_children,
    node_text,
    show,
)
from ._errors import NotAnalysed
from .memory import ElemPtr, FieldPtr, GlobalPtr, PathPtr, SlotPtr, is_place, page_field
from .model.state import MEMCG_OBJECTS, Cpu, Gen, PagePtr

if TYPE_CHECKING:
    from ._cexpr import ExprCompiler

__all__ = ["PlaceCompiler"]

PlaceGen = Callable[[Frame], Gen]


class PlaceCompiler:
    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs
        self.scope = exprs.scope

    # ---- places
    def place(self, node: tree_sitter.Node) -> PlaceGen:
        t = node.type
        if t == "parenthesized_expression":
            return self.place(named_children(node)[0])
        if t == "identifier":
            name = node_text(node)
            local = self.scope.local(name)
            if local is not None:
                slot = local.slot

                def local_place(fr: Frame) -> Gen:
                    v = fr[slot]
                    if isinstance(v, PathPtr):  # a struct on the stack: its memory
                        return v
                    return ElemPtr(v, 0, name) if isinstance(v, list) else SlotPtr(fr, slot, name)
                    yield

                return local_place
            static = self.scope.static(name) or self.scope.global_object(name)
            if static is not None:
                ptr = static

                def static_place(fr: Frame) -> Gen:
                    return ptr
                    yield

                return static_place
            raise NotAnalysed(f"`{name}` is not a variable the interpreter knows")
        if t == "field_expression":
            return self._field_place(node)
        if t == "pointer_expression" and node_text(node.child_by_field_name("operator")) == "*":
            return lift(self.exprs.compile(field(node, "argument")))
        if t == "subscript_expression":
            return self._subscript_place(node)
        raise NotAnalysed(f"`{node_text(node)}` is not a place the interpreter can address")

    def _field_place(self, node: tree_sitter.Node) -> PlaceGen:
        fname = node_text(node.child_by_field_name("field"))
        arg = field(node, "argument")
        arrow = node_text(node.child_by_field_name("operator")) == "->"
        base = lift(self.exprs.compile(arg)) if arrow else self.place(arg)
        what = node_text(node)

        def g(fr: Frame) -> Gen:
            b = yield from base(fr)
            return _member(fr[0], b, fname, what)

        return g

    def _subscript_place(self, node: tree_sitter.Node) -> PlaceGen:
        arg = field(node, "argument")
        # an array member (zone->free_area[order]) or global array decays to its own place; a
        # local array or a page pointer is indexed by value
        member = arg.type in ("field_expression", "subscript_expression") or (
            arg.type == "identifier" and self.scope.local(node_text(arg)) is None)
        base = self.place(arg) if member else lift(self.exprs.compile(arg))
        nested = arg.type == "subscript_expression"
        index = lift(self.exprs.compile(field(node, "index")))
        name = node_text(arg)

        def g(fr: Frame) -> Gen:
            b = yield from base(fr)
            i = yield from index(fr)
            if nested and isinstance(b, ElemPtr):  # an element of a local array of arrays
                b = b.load(fr[0])
            if isinstance(b, list):
                return ElemPtr(b, i, name)
            if isinstance(b, PathPtr):
                if not member and b.path and isinstance(b.path[-1], int):
                    return b + i  # a pointer into an array (a decayed ``pvec->pages``): p[i] is *(p + i)
                return b.element(i)
            if isinstance(b, FieldPtr):
                raise NotAnalysed(f"`{name}[...]` indexes the page word {b.describe()} at {fr[0].loc[0]}:{fr[0].loc[1]}")
            if isinstance(b, (PagePtr, ElemPtr)):
                return b + i
            raise NotAnalysed(f"`{name}[...]` indexes {b!r}, not an array the model holds "
                              f"at {fr[0].loc[0]}:{fr[0].loc[1]}")

        return g

    # ---- reading
    def read(self, node: tree_sitter.Node) -> Expr:
        pg = self.place(node)
        what = node_text(node)

        def g(fr: Frame) -> Gen:
            ptr = yield from pg(fr)
            return (yield from load(fr[0], ptr, what))

        return Expr(True, g)

    def read_static(self, ptr: GlobalPtr | PathPtr) -> Expr:
        def g(fr: Frame) -> Gen:
            return (yield from load(fr[0], ptr, ptr.describe()))

        return Expr(True, g)

    def _x_field_expression(self, node: tree_sitter.Node) -> Expr:
        return self.read(node)

    def _x_subscript_expression(self, node: tree_sitter.Node) -> Expr:
        return self.read(node)

    def _x_pointer_expression(self, node: tree_sitter.Node) -> Expr:
        op = node_text(node.child_by_field_name("operator"))
        arg = field(node, "argument")
        if op == "*":
            return self.read(node)
        if op != "&":
            return fail(f"operator {op}", self.scope.loc(node))
        if arg.type == "field_expression" and node_text(arg.child_by_field_name("field")) == "css":
            # the model names a memcg's css by the memcg pointer itself
            return self.exprs.compile(field(arg, "argument"))
        if arg.type == "pointer_expression" and node_text(arg.child_by_field_name("operator")) == "*":
            return self.exprs.compile(field(arg, "argument"))
        return Expr(True, self.place(arg))

    # ---- writing
    def _x_assignment_expression(self, node: tree_sitter.Node) -> Expr:
        left = field(node, "left")
        op = node_text(node.child_by_field_name("operator"))
        return self.assign(left, op, self.exprs.compile(field(node, "right")), node)

    def assign(self, left: tree_sitter.Node, op: str, value: Expr, node: tree_sitter.Node) -> Expr:
        binop = BINARY[ASSIGN_OPS[op]] if op != "=" else None
        vg = lift(value)
        while left.type == "parenthesized_expression":
            left = named_children(left)[0]
        local = self.scope.local(node_text(left)) if left.type == "identifier" else None
        if local is not None:
            i, norm = local.slot, local.norm

            def g_local(fr: Frame) -> Gen:
                v = yield from vg(fr)
                fr[i] = norm(v if binop is None else binop(fr[i], v))
                return fr[i]

            return Expr(True, g_local)
        pg = self.place(left)
        what = node_text(left)

        def g_place(fr: Frame) -> Gen:
            v = yield from vg(fr)
            ptr = yield from pg(fr)
            cx: Cpu = fr[0]
            if binop is not None:
                v = binop((yield from load(cx, ptr, what, watch=False)), v)
            yield from store(cx, ptr, v, what)
            return v

        return Expr(True, g_place)

    def _x_update_expression(self, node: tree_sitter.Node) -> Expr:
        target = field(node, "argument")
        op = node_text(node.child_by_field_name("operator"))
        prefix = node.children[0].type in ("++", "--")
        delta = 1 if op == "++" else -1
        local = self.scope.local(node_text(target)) if target.type == "identifier" else None
        if local is not None:
            i, norm = local.slot, local.norm

            def f(fr: Frame) -> Any:
                old = fr[i]
                fr[i] = norm(old + delta)
                return fr[i] if prefix else old

            return Expr(False, f, local.ctype)
        pg = self.place(target)
        what = node_text(target)

        def g(fr: Frame) -> Gen:
            ptr = yield from pg(fr)
            cx: Cpu = fr[0]
            old = yield from load(cx, ptr, what, watch=False)
            yield from store(cx, ptr, old + delta, what)
            return old + delta if prefix else old

        return Expr(True, g)


def _member(cx: Cpu, base: Any, fname: str, what: str) -> Any:
    """The place ``base->fname`` (or ``base.fname`` for a place ``base``)."""
    if isinstance(base, PagePtr):
        if page_field(fname) is None:
            return PathPtr(f"P{base.index}", (fname,), _member_type(cx, "page", fname))
        return FieldPtr(base.index, fname)
    if isinstance(base, PathPtr):
        return base.member(fname, _member_type(cx, base.struct, fname))
    if isinstance(base, int) and not isinstance(base, bool) and base in MEMCG_OBJECTS:
        # a memcg's own members (its per-node info, its lruvecs): memory the model does not hold
        return PathPtr(MEMCG_OBJECTS[base], (fname,), _member_type(cx, "mem_cgroup", fname))
    if isinstance(base, FieldPtr) and fname == "counter" and page_field(base.field) is not None:
        spec = page_field(base.field)
        if spec is not None and spec.atomic:
            return base
    if isinstance(base, FieldPtr) or is_place(base):
        raise NotAnalysed(f"field `{fname}` of `{what}` is not in the model at {cx.loc[0]}:{cx.loc[1]}")
    raise NotAnalysed(f"`{what}` through {base!r}, not a struct page pointer, at {cx.loc[0]}:{cx.loc[1]}")


def _member_type(cx: Cpu, struct: str, member: str) -> str:
    layout = cx.layout(struct) if struct and cx.layout is not None else None
    return layout.get(member, "") if layout else ""


def load(cx: Cpu, ptr: Any, what: str, *, watch: bool = True) -> Gen:
    """One load through a pointer value: a step when the place is shared."""
    if isinstance(ptr, PagePtr):
        raise NotAnalysed(f"`{what}` copies a whole struct page at {cx.loc[0]}:{cx.loc[1]}")
    if not is_place(ptr):
        raise NotAnalysed(f"`{what}` dereferences {ptr!r}, not a pointer the model holds, "
                          f"at {cx.loc[0]}:{cx.loc[1]}")
    if ptr.shared:
        yield
    value = ptr.load(cx)
    if watch and isinstance(ptr, FieldPtr):
        cx.note_read(ptr.page, what)
    return value


def store(cx: Cpu, ptr: Any, value: Any, what: str) -> Gen:
    if not is_place(ptr) or isinstance(ptr, PagePtr):
        raise NotAnalysed(f"`{what}` stores through {ptr!r}, not a pointer the model holds, "
                          f"at {cx.loc[0]}:{cx.loc[1]}")
    if ptr.shared:
        yield
        cx.acted(f"writes {what}")
    ptr.store(cx, value)
    if ptr.shared:
        cx.effect(f"{ptr.describe()} = {show(value)}")
