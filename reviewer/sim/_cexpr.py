"""C expressions compiled once into Python closures (the statement compiler is in interp.py).

An expression compiles to :class:`Expr`: either a pure function of the frame (no shared access,
no call) or a generator function that yields before each shared access. Anything the compiler
does not understand compiles to code that raises :class:`NotAnalysed` when (and only when) it is
reached, so a construct in dead or configured-out code never blocks a verdict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import tree_sitter

from ._errors import NotAnalysed
from .model.refs import vm_bug
from .model.state import KMEM, TAIL_MAPPING, Cpu, Gen, PagePtr

__all__ = ["Expr", "ExprCompiler", "Frame", "Loc", "lift", "named_children", "node_text", "normaliser"]

Frame = list[Any]
"""Slot 0: the thread's Cpu; slot 1: the return value; then the locals."""
Loc = tuple[str, int, str]
"""(file, line, source text) of a C line."""

_CONSTANTS = {"NULL": 0, "true": 1, "false": 0, "MEMCG_DATA_KMEM": KMEM, "MEMCG_DATA_OBJCGS": 1,
              "TAIL_MAPPING": TAIL_MAPPING}
_PAGE_FIELDS = {"memcg_data", "mapping", "private", "compound_order", "compound_nr"}
"""struct page fields C code may touch directly; the others have model accessors."""
_PASS_THROUGH = {"likely", "unlikely", "READ_ONCE", "data_race"}
_BUG_ON = {"VM_BUG_ON", "VM_BUG_ON_PAGE", "VM_WARN_ON", "VM_WARN_ON_ONCE", "VM_WARN_ON_ONCE_PAGE"}


@dataclass(frozen=True, slots=True)
class Expr:
    gen: bool
    """True: ``fn(frame)`` returns a generator (it may yield); False: it returns the value."""
    fn: Callable[[Frame], Any]


class Scope(Protocol):
    def slot(self, name: str) -> tuple[int, Callable[[Any], Any]] | None: ...
    def loc(self, node: tree_sitter.Node) -> Loc: ...
    def call(self, name: str, loc: Loc) -> Callable[[Cpu, list[Any]], Gen]: ...
    @property
    def debug_vm(self) -> bool: ...


def normaliser(type_text: str, pointer: bool) -> Callable[[Any], Any]:
    """C conversion on store into a local of this type (bool, fixed-width wrap-around)."""
    if pointer:
        return _same
    words = type_text.replace("const", "").split()
    if words in (["bool"], ["_Bool"]):
        return _to_bool
    last = words[-1] if words else ""
    bits = _FIXED_BITS.get(last) or (64 if "long" in words or last == "size_t" else
                                     16 if "short" in words else 8 if "char" in words else 32)
    if "unsigned" in words or last in ("gfp_t", "size_t", "u8", "u16", "u32", "u64"):
        mask = (1 << bits) - 1
        return lambda v: v & mask if isinstance(v, int) else v
    half, full = 1 << (bits - 1), 1 << bits
    return lambda v: ((v + half) % full) - half if isinstance(v, int) else v


_FIXED_BITS = {"u8": 8, "s8": 8, "u16": 16, "s16": 16, "u32": 32, "s32": 32, "u64": 64, "s64": 64}


def _same(v: Any) -> Any:
    return v


def _to_bool(v: Any) -> int:
    if isinstance(v, bool):  # a model query's answer stays as it is
        return v
    return 1 if v else 0


def _fail(what: str, loc: Loc) -> Expr:
    def raise_(fr: Frame) -> Any:
        raise NotAnalysed(f"{what} at {loc[0]}:{loc[1]}")

    return Expr(False, raise_)


def lift(e: Expr) -> Callable[[Frame], Gen]:
    if e.gen:
        return e.fn
    f = e.fn

    def g(fr: Frame) -> Gen:
        return f(fr)
        yield  # a generator that never yields

    return g


def _cdiv(a: int, b: int) -> int:
    if b == 0:
        raise NotAnalysed("division by zero (undefined in C)")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _shift_count(b: int) -> int:
    """A shift count C defines (found by fuzzing: Python raised on a negative count and would
    build a huge integer for a large one)."""
    if not 0 <= b < 64:
        raise NotAnalysed(f"shift by {b} (undefined in C)")
    return b


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _cdiv,
    "%": lambda a, b: a - _cdiv(a, b) * b,
    "<<": lambda a, b: a << _shift_count(b),
    ">>": lambda a, b: a >> _shift_count(b),
    "&": lambda a, b: a & b,
    "|": lambda a, b: a | b,
    "^": lambda a, b: a ^ b,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(_ord(a) < _ord(b)),
    ">": lambda a, b: int(_ord(a) > _ord(b)),
    "<=": lambda a, b: int(_ord(a) <= _ord(b)),
    ">=": lambda a, b: int(_ord(a) >= _ord(b)),
}
_ASSIGN_OPS = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "<<=": "<<", ">>=": ">>",
               "&=": "&", "|=": "|", "^=": "^"}


def _ord(v: Any) -> int:
    return v.index if isinstance(v, PagePtr) else int(v)


def _page_index(cx: Cpu, v: Any, what: str) -> int:
    if isinstance(v, PagePtr):
        return v.index
    raise NotAnalysed(f"{what} through {v!r}, not a struct page pointer, at {cx.loc[0]}:{cx.loc[1]}")


class ExprCompiler:
    """Compiles expression nodes of one function against its scope."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope

    def compile(self, node: tree_sitter.Node) -> Expr:
        handler = getattr(self, "_x_" + node.type, None)
        if handler is None:
            return _fail(f"unsupported C expression {node.type} `{node_text(node)}`", self.scope.loc(node))
        result: Expr = handler(node)
        return result

    # ---- leaves
    def _x_number_literal(self, node: tree_sitter.Node) -> Expr:
        text = node_text(node).rstrip("uUlL")
        try:
            value = int(text, 0)
        except ValueError:
            return _fail(f"number `{node_text(node)}`", self.scope.loc(node))
        return Expr(False, lambda fr: value)

    def _x_true(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 1)

    def _x_false(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 0)

    def _x_null(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 0)

    def _x_identifier(self, node: tree_sitter.Node) -> Expr:
        name = node_text(node)
        found = self.scope.slot(name)
        if found is not None:
            i = found[0]
            return Expr(False, lambda fr: fr[i])
        if name in _CONSTANTS:
            value = _CONSTANTS[name]
            return Expr(False, lambda fr: value)
        return _fail(f"unknown identifier `{name}`", self.scope.loc(node))

    def _x_parenthesized_expression(self, node: tree_sitter.Node) -> Expr:
        return self.compile(named_children(node)[0])

    # ---- operators
    def _x_binary_expression(self, node: tree_sitter.Node) -> Expr:
        op = node_text(node.child_by_field_name("operator"))
        left = self.compile(_field(node, "left"))
        right = self.compile(_field(node, "right"))
        if op in ("&&", "||"):
            return self._logical(op, left, right)
        fop = _BINARY.get(op)
        if fop is None:
            return _fail(f"operator {op}", self.scope.loc(node))
        if not left.gen and not right.gen:
            lf, rf = left.fn, right.fn
            return Expr(False, lambda fr: fop(lf(fr), rf(fr)))
        lg, rg = lift(left), lift(right)

        def g(fr: Frame) -> Gen:
            a = yield from lg(fr)
            b = yield from rg(fr)
            return fop(a, b)

        return Expr(True, g)

    def _logical(self, op: str, left: Expr, right: Expr) -> Expr:
        is_and = op == "&&"
        if not left.gen and not right.gen:
            lf, rf = left.fn, right.fn
            if is_and:
                return Expr(False, lambda fr: int(bool(lf(fr)) and bool(rf(fr))))
            return Expr(False, lambda fr: int(bool(lf(fr)) or bool(rf(fr))))
        lg, rg = lift(left), lift(right)

        def g(fr: Frame) -> Gen:
            a = yield from lg(fr)
            if bool(a) != is_and:  # short-circuit
                return int(bool(a))
            b = yield from rg(fr)
            return int(bool(b))

        return Expr(True, g)

    def _x_unary_expression(self, node: tree_sitter.Node) -> Expr:
        op = node_text(node.child_by_field_name("operator"))
        arg = self.compile(_field(node, "argument"))
        table: dict[str, Callable[[Any], Any]] = {
            "!": lambda v: int(not v), "-": lambda v: -v, "~": lambda v: ~v, "+": lambda v: v}
        fop = table.get(op)
        if fop is None:
            return _fail(f"operator {op}", self.scope.loc(node))
        if not arg.gen:
            af = arg.fn
            return Expr(False, lambda fr: fop(af(fr)))
        ag = arg.fn

        def g(fr: Frame) -> Gen:
            return fop((yield from ag(fr)))

        return Expr(True, g)

    def _x_update_expression(self, node: tree_sitter.Node) -> Expr:
        target = _field(node, "argument")
        op = node_text(node.child_by_field_name("operator"))
        prefix = node.children[0].type in ("++", "--")
        found = self.scope.slot(node_text(target)) if target.type == "identifier" else None
        if found is None:
            return _fail(f"{op} on `{node_text(target)}`", self.scope.loc(node))
        i, norm = found
        delta = 1 if op == "++" else -1

        def f(fr: Frame) -> Any:
            old = fr[i]
            fr[i] = norm(old + delta)
            return fr[i] if prefix else old

        return Expr(False, f)

    def _x_conditional_expression(self, node: tree_sitter.Node) -> Expr:
        cg = lift(self.compile(_field(node, "condition")))
        ag = lift(self.compile(_field(node, "consequence")))
        bg = lift(self.compile(_field(node, "alternative")))

        def g(fr: Frame) -> Gen:
            c = yield from cg(fr)
            return (yield from (ag if c else bg)(fr))

        return Expr(True, g)

    def _x_comma_expression(self, node: tree_sitter.Node) -> Expr:
        ag = lift(self.compile(_field(node, "left")))
        bg = lift(self.compile(_field(node, "right")))

        def g(fr: Frame) -> Gen:
            yield from ag(fr)
            return (yield from bg(fr))

        return Expr(True, g)

    def _x_cast_expression(self, node: tree_sitter.Node) -> Expr:
        type_node = _field(node, "type")
        norm = normaliser(node_text(type_node), "*" in node_text(type_node))
        vg = lift(self.compile(_field(node, "value")))

        def g(fr: Frame) -> Gen:
            return norm((yield from vg(fr)))

        return Expr(True, g)

    # ---- struct page fields: each load and each store is one atomic step
    def _page_ref(self, node: tree_sitter.Node) -> tuple[Expr, str] | str:
        """(pointer expression, field) of ``p->f`` or ``p[i].f``; a string says what is unsupported."""
        fname = node_text(node.child_by_field_name("field"))
        arg = _field(node, "argument")
        op = node_text(node.child_by_field_name("operator"))
        if fname not in _PAGE_FIELDS:
            return f"field `{fname}` of `{node_text(arg)}`"
        if op == "->":
            return self.compile(arg), fname
        if arg.type == "subscript_expression":
            base = self.compile(_field(arg, "argument"))
            index = self.compile(_field(arg, "index"))
            bg, ig = lift(base), lift(index)

            def g(fr: Frame) -> Gen:
                b = yield from bg(fr)
                i = yield from ig(fr)
                return b + i

            return Expr(True, g), fname
        return f"field access `{node_text(node)}`"

    def _x_field_expression(self, node: tree_sitter.Node) -> Expr:
        ref = self._page_ref(node)
        if isinstance(ref, str):
            return _fail(ref, self.scope.loc(node))
        pg = lift(ref[0])
        fname = ref[1]
        what = f"{node_text(node)}"

        def g(fr: Frame) -> Gen:
            ptr = yield from pg(fr)
            cx: Cpu = fr[0]
            p = _page_index(cx, ptr, what)
            yield
            value = cx.rd(p, fname)
            cx.note_read(p, what)
            return value

        return Expr(True, g)

    def _x_assignment_expression(self, node: tree_sitter.Node) -> Expr:
        left = _field(node, "left")
        op = node_text(node.child_by_field_name("operator"))
        value = self.compile(_field(node, "right"))
        return self.assign(left, op, value, node)

    def assign(self, left: tree_sitter.Node, op: str, value: Expr, node: tree_sitter.Node) -> Expr:
        binop = _BINARY[_ASSIGN_OPS[op]] if op != "=" else None
        vg = lift(value)
        if left.type == "identifier":
            found = self.scope.slot(node_text(left))
            if found is None:
                return _fail(f"assignment to `{node_text(left)}`", self.scope.loc(node))
            i, norm = found

            def g_local(fr: Frame) -> Gen:
                v = yield from vg(fr)
                fr[i] = norm(v if binop is None else binop(fr[i], v))
                return fr[i]

            return Expr(True, g_local)
        if left.type != "field_expression":
            return _fail(f"assignment to `{node_text(left)}`", self.scope.loc(node))
        ref = self._page_ref(left)
        if isinstance(ref, str):
            return _fail(ref, self.scope.loc(node))
        pg = lift(ref[0])
        fname = ref[1]
        what = node_text(left)

        def g_field(fr: Frame) -> Gen:
            v = yield from vg(fr)
            ptr = yield from pg(fr)
            cx: Cpu = fr[0]
            p = _page_index(cx, ptr, what)
            if binop is not None:
                yield
                v = binop(cx.rd(p, fname), v)
            yield
            cx.acted(f"writes {what}")
            cx.wr(p, fname, v)
            cx.effect(f"P{p}.{fname} = {_show(v)}")
            return v

        return Expr(True, g_field)

    def _x_pointer_expression(self, node: tree_sitter.Node) -> Expr:
        """Only ``&memcg->css``: the model names a memcg's css by the memcg pointer itself."""
        op = node_text(node.child_by_field_name("operator"))
        arg = _field(node, "argument")
        if op == "&" and arg.type == "field_expression" and node_text(arg.child_by_field_name("field")) == "css":
            return self.compile(_field(arg, "argument"))
        return _fail(f"pointer_expression `{node_text(node)}`", self.scope.loc(node))

    def _x_subscript_expression(self, node: tree_sitter.Node) -> Expr:
        return _fail(f"array access `{node_text(node)}`", self.scope.loc(node))

    # ---- calls
    def _x_call_expression(self, node: tree_sitter.Node) -> Expr:
        fn_node = _field(node, "function")
        loc = self.scope.loc(node)
        if fn_node.type != "identifier":
            return _fail(f"call through `{node_text(fn_node)}`", loc)
        name = node_text(fn_node)
        args_nodes = named_children(_field(node, "arguments"))
        if name in _PASS_THROUGH and len(args_nodes) == 1:
            inner = self.compile(args_nodes[0])
            if name in ("likely", "unlikely"):
                ig = lift(inner)

                def g_expect(fr: Frame) -> Gen:
                    return int(bool((yield from ig(fr))))

                return Expr(True, g_expect)
            return inner
        if name == "WRITE_ONCE" and len(args_nodes) == 2:
            return self.assign(args_nodes[0], "=", self.compile(args_nodes[1]), node)
        if name == "BUILD_BUG_ON":
            return Expr(False, lambda fr: 0)
        if name in _BUG_ON or name in ("WARN_ON", "WARN_ON_ONCE"):
            return self._bug_on(name, args_nodes, node)
        args = [lift(self.compile(a)) for a in args_nodes]
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

    def _bug_on(self, name: str, args_nodes: list[tree_sitter.Node], node: tree_sitter.Node) -> Expr:
        if not args_nodes:
            return _fail(f"{name}()", self.scope.loc(node))
        live = self.scope.debug_vm or name.startswith("WARN")
        if not live:  # without DEBUG_VM the condition is not even evaluated
            return Expr(False, lambda fr: 0)
        cg = lift(self.compile(args_nodes[0]))
        text = node_text(args_nodes[0])

        def g(fr: Frame) -> Gen:
            c = yield from cg(fr)
            if c and name.startswith("VM_BUG"):
                vm_bug(fr[0], f"{name}({text})")
            return int(bool(c))

        return Expr(True, g)


def _show(v: Any) -> str:
    return hex(v) if isinstance(v, int) and v > 255 else str(v)


def node_text(node: tree_sitter.Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode()


def _field(node: tree_sitter.Node, name: str) -> tree_sitter.Node:
    child = node.child_by_field_name(name)
    if child is None:
        raise NotAnalysed(f"malformed {node.type} `{node_text(node)}`")
    return child


def named_children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in node.named_children if c.type != "comment"]
