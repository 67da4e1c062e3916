"""Calls: to functions (the revision's, the model's, the primitive layer's, the tree's), macro uses
(expanded by pcpp from the tree's definition), and the macros the compiler implements itself
because they need the argument's text or must not evaluate it (assertions, READ_ONCE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import tree_sitter

from ._cexpr import Expr, Frame, fail, field, lift, named_children, node_text
from ._errors import NotAnalysed
from .model.state import MEMCG_OBJECTS, Cpu, Gen
from .primitives.assertions import ASSERTIONS, assertion_failed
from .resolve import expand_call
from .resolve._pp import TYPE_MACRO_NAMES

if TYPE_CHECKING:
    from ._cexpr import ExprCompiler

__all__ = ["CallCompiler"]

_PASS_THROUGH = {"READ_ONCE", "data_race"}
_EXPECT = {"likely", "unlikely"}
_COMPILE_TIME = {"BUILD_BUG_ON", "BUILD_BUG_ON_INVALID", "BUILD_BUG_ON_MSG", "BUILD_BUG_ON_ZERO",
                 "typecheck", "__must_be_array", "__verify_pcpu_ptr", "compiletime_assert"}
"""Checked by the compiler, not at run time: their arguments are never evaluated."""
LOGGING = frozenset({
    "printk", "printk_ratelimited", "printk_deferred", "pr_emerg", "pr_alert", "pr_crit", "pr_err",
    "pr_warn", "pr_warn_once", "pr_warn_ratelimited", "pr_notice", "pr_info", "pr_cont", "pr_debug",
    "pr_err_ratelimited", "pr_info_ratelimited", "dump_stack", "print_modules", "pr_devel",
})
"""Kernel log output: no modelled state, and the arguments (``current->comm``, format strings
glued from macros) are not evaluated."""
_MAX_EXPANSIONS = 24
_PER_CPU_UPDATE: dict[str, tuple[str, int | None]] = {}
for _p in ("", "__", "raw_"):
    _PER_CPU_UPDATE.update({f"{_p}this_cpu_write": ("=", None), f"{_p}this_cpu_add": ("+=", None),
                            f"{_p}this_cpu_sub": ("-=", None), f"{_p}this_cpu_inc": ("+=", 1),
                            f"{_p}this_cpu_dec": ("-=", 1)})
"""Per-cpu updates of an lvalue: one copy in the model, so a plain read-modify-write."""


class CallCompiler:
    def __init__(self, exprs: ExprCompiler) -> None:
        self.exprs = exprs
        self.scope = exprs.scope
        self.expanding: list[str] = []

    def _x_call_expression(self, node: tree_sitter.Node) -> Expr:
        fn_node = field(node, "function")
        loc = self.scope.loc(node)
        args_nodes = named_children(field(node, "arguments"))
        if _is_typeof_cast(fn_node) and len(args_nodes) == 1:
            # (__typeof__(x))(y), as round_down() writes it: y, in x's type (not tracked here)
            return self.exprs.compile(args_nodes[0])
        target = fn_node
        while target.type in ("parenthesized_expression", "pointer_expression") and named_children(target):
            target = named_children(target)[-1]  # (*fn)(...) is fn(...)
        if target.type == "identifier" and self.scope.local(node_text(target)) is not None:
            return self._call_through(target, args_nodes, loc)
        if fn_node.type != "identifier":
            if target.type == "identifier" and self.scope.global_object(node_text(target)) is not None:
                return self._call_through(target, args_nodes, loc)
            return fail(f"call through `{node_text(fn_node)}`", loc)
        name = node_text(fn_node)
        if name in _PASS_THROUGH and len(args_nodes) == 1:
            return self.exprs.compile(args_nodes[0])
        if name in _EXPECT and len(args_nodes) == 1 or name == "__builtin_expect" and len(args_nodes) == 2:
            ig = lift(self.exprs.compile(args_nodes[0]))

            def g_expect(fr: Frame) -> Gen:
                return int(bool((yield from ig(fr))))

            return Expr(True, g_expect)
        if name == "WRITE_ONCE" and len(args_nodes) == 2:
            return self.exprs.places.assign(args_nodes[0], "=", self.exprs.compile(args_nodes[1]), node)
        if name == "smp_store_release" and len(args_nodes) == 2:
            return self._store_through(args_nodes[0], args_nodes[1], node)
        if name == "smp_load_acquire" and len(args_nodes) == 1:
            return self._load_through(args_nodes[0])
        if name in _COMPILE_TIME or name in LOGGING:
            return Expr(False, lambda fr: 0)
        if name == "container_of" and len(args_nodes) == 3:
            return self._container_of(args_nodes[0], node_text(args_nodes[1]), node_text(args_nodes[2]))
        if name == "__container_of" and len(args_nodes) == 3:  # container_of, expanded by pcpp
            return self._container_of(args_nodes[0], _unquote(node_text(args_nodes[1])),
                                      _unquote(node_text(args_nodes[2])))
        if name in _PER_CPU_UPDATE and args_nodes:
            op, const = _PER_CPU_UPDATE[name]
            value = self.exprs.compile(args_nodes[1]) if const is None and len(args_nodes) > 1 else \
                Expr(False, lambda fr: const)
            return self.exprs.places.assign(args_nodes[0], op, value, node)
        if name in ASSERTIONS:
            return self._assertion(name, args_nodes, node)
        if name in TYPE_MACRO_NAMES and name not in self.expanding:  # ours, whatever the tree has
            return self._expand(name, name, node, loc)
        # A function, else a function-like macro, else a global holding a function: asked in
        # that order because most callees are functions, and asking the tree whether a name is
        # a global variable costs a search that finds nothing.
        if name not in self.expanding and not self.scope.has_function(name):
            macro = self.scope.macro(name)
            if macro is not None and macro.macro.params is not None:
                return self._expand(name, macro.macro.definition(), node, loc)
            if self.scope.global_object(name) is not None:
                return self._call_through(fn_node, args_nodes, loc)
        args = [lift(self.exprs.compile(a)) for a in args_nodes]
        call = self.scope.call(name, loc)

        def g(fr: Frame) -> Gen:
            values = []
            for a in args:
                values.append((yield from a(fr)))
            cx: Cpu = fr[0]
            cx.loc = loc
            result = yield from call(cx, values)
            cx.loc = loc
            return result

        return Expr(True, g)

    def _call_through(self, callee: tree_sitter.Node, args_nodes: list[tree_sitter.Node],
                      loc: tuple[str, int, str]) -> Expr:
        """A call through a variable holding a function (a callback)."""
        fg = lift(self.exprs.compile(callee))
        args = [lift(self.exprs.compile(a)) for a in args_nodes]
        what = node_text(callee)
        scope = self.scope

        def g(fr: Frame) -> Gen:
            from .memory import FuncRef

            target = yield from fg(fr)
            if not isinstance(target, FuncRef):
                raise NotAnalysed(f"call through `{what}`, which holds {target!r}, at {loc[0]}:{loc[1]}")
            values = []
            for a in args:
                values.append((yield from a(fr)))
            cx: Cpu = fr[0]
            cx.loc = loc
            result = yield from scope.call(target.name, loc)(cx, values)
            cx.loc = loc
            return result

        return Expr(True, g)

    def _expand(self, name: str, definition: str, node: tree_sitter.Node, loc: tuple[str, int, str]) -> Expr:
        if len(self.expanding) >= _MAX_EXPANSIONS:
            return fail(f"macro {name}() expands more than {_MAX_EXPANSIONS} levels deep", loc)
        text = expand_call(definition, node_text(node))
        self.expanding.append(name)
        try:
            return self.scope.expansion(text, loc, f"macro {name}()")
        finally:
            self.expanding.pop()

    def _container_of(self, ptr: tree_sitter.Node, type_text: str, member: str) -> Expr:
        pg = lift(self.exprs.compile(ptr))
        last = member.replace("->", ".").split(".")[-1].strip()

        def g(fr: Frame) -> Gen:
            from .memory import PathPtr

            p = yield from pg(fr)
            if not isinstance(p, PathPtr):
                raise NotAnalysed(f"container_of({p!r}, ..., {member}) at {fr[0].loc[0]}:{fr[0].loc[1]}")
            found = p.container(last, " ".join(type_text.split()))
            if isinstance(found, PathPtr) and not found.path and found.inner is None:
                for ptr, obj in MEMCG_OBJECTS.items():  # a model memcg is its pointer value
                    if found.root == obj:
                        return ptr
            return found

        return Expr(True, g)

    def _store_through(self, ptr: tree_sitter.Node, value: tree_sitter.Node, node: tree_sitter.Node) -> Expr:
        """smp_store_release(p, v): a store through p (sequentially consistent steps)."""
        pg = lift(self.exprs.compile(ptr))
        vg = lift(self.exprs.compile(value))
        what = f"*{node_text(ptr)}"

        def g(fr: Frame) -> Gen:
            from ._cplace import store

            v = yield from vg(fr)
            p = yield from pg(fr)
            yield from store(fr[0], p, v, what)
            return v

        return Expr(True, g)

    def _load_through(self, ptr: tree_sitter.Node) -> Expr:
        pg = lift(self.exprs.compile(ptr))
        what = f"*{node_text(ptr)}"

        def g(fr: Frame) -> Gen:
            from ._cplace import load

            p = yield from pg(fr)
            return (yield from load(fr[0], p, what))

        return Expr(True, g)

    def _assertion(self, name: str, args_nodes: list[tree_sitter.Node], node: tree_sitter.Node) -> Expr:
        spec = ASSERTIONS[name]
        loc = self.scope.loc(node)
        if spec.takes_condition and not args_nodes:
            return fail(f"{name}() without a condition", loc)
        live = spec.live(self.scope.debug_vm, self.scope.kconfig_on)
        if not live:  # configured out: the condition is not even evaluated
            return Expr(False, lambda fr: 0)
        if not spec.takes_condition:  # BUG()
            text = f"{name}()"

            def g_bug(fr: Frame) -> Gen:
                assertion_failed(fr[0], text, loc)
                return 0
                yield

            return Expr(True, g_bug)
        cg = lift(self.exprs.compile(args_nodes[0]))
        text = f"{name}({node_text(args_nodes[0])})"

        def g(fr: Frame) -> Gen:
            c = yield from cg(fr)
            if c:
                assertion_failed(fr[0], text, loc)
            return int(bool(c))

        return Expr(True, g)


def _unquote(text: str) -> str:
    """A stringified macro argument (possibly stringified twice) back to its text."""
    return text.replace('\\"', "").strip('"')


def _is_typeof_cast(node: tree_sitter.Node) -> bool:
    """``(__typeof__(x))`` parsed as the callee of a call."""
    while node.type == "parenthesized_expression" and named_children(node):
        node = named_children(node)[0]
    return node.type == "call_expression" and node_text(node.child_by_field_name("function")) in (
        "__typeof__", "typeof", "__typeof")
