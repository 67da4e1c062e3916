"""C expressions compiled once into Python closures (statements are in interp.py).

An expression compiles to :class:`Expr`: either a pure function of the frame (no shared access,
no call) or a generator function that yields before each shared access. Anything the compiler
does not understand compiles to code that raises :class:`NotAnalysed` when (and only when) it is
reached, so a construct in dead or configured-out code never blocks a verdict. Places (what
``&``, ``*``, ``->``, ``[]`` and assignments work on) are in :mod:`._cplace`; calls, macros and
the primitives the compiler implements itself (assertions, READ_ONCE) in :mod:`._ccall`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import tree_sitter

from ._ctypes import CType, Local, ctype_of, normaliser, wrap
from ._errors import NotAnalysed
from .memory import (
    FuncRef,
    GlobalPtr,
    PageAddr,
    PathPtr,
    UnknownSize,
    page_field,
    page_field_size,
    sizeof_value,
)
from .model.state import KMEM, TAIL_MAPPING, Cpu, Gen, PagePtr

if TYPE_CHECKING:
    from .resolve import ResolvedMacro

__all__ = ["Expr", "ExprCompiler", "Frame", "Loc", "lift", "named_children", "node_text", "normaliser"]

Frame = list[Any]
"""Slot 0: the thread's Cpu; slot 1: the return value; slot 2: a pending goto's label; then the locals."""
Loc = tuple[str, int, str]
"""(file, line, source text) of a C line."""

_CONSTANTS = {"NULL": 0, "true": 1, "false": 0, "MEMCG_DATA_KMEM": KMEM, "MEMCG_DATA_OBJCGS": 1,
              "TAIL_MAPPING": TAIL_MAPPING, "PAGE_SHIFT": 12, "PAGE_SIZE": 4096, "BITS_PER_LONG": 64}
"""The model's own encodings, and the x86-64 facts its sizes assume (arch headers a tree
excerpt may lack)."""


@dataclass(frozen=True, slots=True)
class Expr:
    gen: bool
    """True: ``fn(frame)`` returns a generator (it may yield); False: it returns the value."""
    fn: Callable[[Frame], Any]
    ctype: CType | None = None
    """The integer type, where known (for unsigned wrap-around in arithmetic)."""


class Scope(Protocol):
    def local(self, name: str) -> Local | None: ...
    def static(self, name: str) -> GlobalPtr | None: ...
    def global_object(self, name: str) -> PathPtr | None: ...
    def loc(self, node: tree_sitter.Node) -> Loc: ...
    def call(self, name: str, loc: Loc) -> Callable[[Cpu, list[Any]], Gen]: ...
    def macro(self, name: str) -> ResolvedMacro | None: ...
    def constant(self, name: str) -> int | None: ...
    def has_function(self, name: str) -> bool: ...
    def statement_expression(self, node: tree_sitter.Node) -> Expr: ...
    def expansion(self, text: str, loc: Loc, what: str) -> Expr: ...
    def kconfig_on(self, name: str) -> bool: ...
    def kconfig_value(self, name: str) -> int: ...
    @property
    def debug_vm(self) -> bool: ...


def fail(what: str, loc: Loc) -> Expr:
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


def _ord(v: Any) -> int:
    return v.index if isinstance(v, PagePtr) else int(v)


BINARY: dict[str, Callable[[Any, Any], Any]] = {
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
ASSIGN_OPS = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "<<=": "<<", ">>=": ">>",
              "&=": "&", "|=": "|", "^=": "^"}
_COMPARE = frozenset({"==", "!=", "<", ">", "<=", ">="})


def arith_type(a: CType | None, b: CType | None) -> CType | None:
    """The usual arithmetic conversions, for the widths the interpreter tracks (an operand of
    unknown type counts as int)."""
    if a is None and b is None:
        return None
    if a is None or b is None:
        known = a or b
        assert known is not None
        return CType(max(known.bits, 32), True) if known.unsigned else None
    bits = max(a.bits, b.bits, 32)
    unsigned = (a.unsigned and a.bits >= b.bits) or (b.unsigned and b.bits >= a.bits)
    return CType(bits, unsigned)


class ExprCompiler:
    """Compiles expression nodes of one function against its scope."""

    def __init__(self, scope: Scope) -> None:
        from ._ccall import CallCompiler
        from ._cplace import PlaceCompiler

        self.scope = scope
        self.places = PlaceCompiler(self)
        self.calls = CallCompiler(self)

    def compile(self, node: tree_sitter.Node) -> Expr:
        handler = getattr(self, "_x_" + node.type, None)
        if handler is None:
            handler = getattr(self.places, "_x_" + node.type, None) or getattr(self.calls, "_x_" + node.type, None)
        if handler is None:
            return fail(f"unsupported C expression {node.type} `{node_text(node)}`", self.scope.loc(node))
        try:
            result: Expr = handler(node)
        except NotAnalysed as exc:
            text = str(exc)
            return fail(text, self.scope.loc(node)) if " at " not in text else Expr(False, _raiser(text))
        return result

    # ---- leaves
    def _x_number_literal(self, node: tree_sitter.Node) -> Expr:
        raw = node_text(node)
        text = raw.rstrip("uUlL")
        try:
            value = int(text, 0) if not (len(text) > 1 and text[0] == "0" and text.isdigit()) else int(text, 8)
        except ValueError:
            return fail(f"number `{raw}`", self.scope.loc(node))
        suffix = raw[len(text):].lower()
        ctype = CType(64 if "l" in suffix else 32, "u" in suffix) if suffix else None
        return Expr(False, lambda fr: value, ctype)

    def _x_char_literal(self, node: tree_sitter.Node) -> Expr:
        text = node_text(node)[1:-1]
        value = ord(text.encode().decode("unicode_escape")) if text else 0
        return Expr(False, lambda fr: value)

    def _x_string_literal(self, node: tree_sitter.Node) -> Expr:
        text = node_text(node)
        return Expr(False, lambda fr: text)

    _x_concatenated_string = _x_string_literal

    def _x_true(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 1)

    def _x_false(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 0)

    def _x_null(self, node: tree_sitter.Node) -> Expr:
        return Expr(False, lambda fr: 0)

    def _x_identifier(self, node: tree_sitter.Node) -> Expr:
        name = node_text(node)
        found = self.scope.local(name)
        if found is not None:
            i = found.slot
            return Expr(False, lambda fr: fr[i], found.ctype)
        static = self.scope.static(name)
        if static is not None:
            return self.places.read_static(static)
        if name in _CONSTANTS:
            value = _CONSTANTS[name]
            return Expr(False, lambda fr: value)
        if name.startswith("__IS_ENABLED_CONFIG_"):  # IS_ENABLED() of an unset option, expanded
            return Expr(False, lambda fr: 0)
        if name.startswith("CONFIG_"):  # an option's value (HZ is CONFIG_HZ); unset is 0
            setting = self.scope.kconfig_value(name)
            return Expr(False, lambda fr: setting)
        number = self.scope.constant(name)
        if number is not None:
            return Expr(False, lambda fr: number)
        macro = self.scope.macro(name)
        if macro is not None and macro.macro.params is None:
            from .resolve import expand_call

            text = expand_call(macro.macro.definition(), name)
            return self.scope.expansion(text, self.scope.loc(node), f"macro {name}")
        glob = self.scope.global_object(name)
        if glob is not None:
            return self.places.read_static(glob)
        if self.scope.has_function(name):  # a function designator: a callback passed on
            ref = FuncRef(name)
            return Expr(False, lambda fr: ref)
        return fail(f"unknown identifier `{name}`", self.scope.loc(node))

    def _x_parenthesized_expression(self, node: tree_sitter.Node) -> Expr:
        inner = named_children(node)
        if inner and inner[0].type == "compound_statement":  # GNU ({ ... })
            return self.scope.statement_expression(inner[0])
        return self.compile(inner[0])

    # ---- operators
    def _x_binary_expression(self, node: tree_sitter.Node) -> Expr:
        op = node_text(node.child_by_field_name("operator"))
        left = self.compile(field(node, "left"))
        right = self.compile(field(node, "right"))
        if op in ("&&", "||"):
            return self._logical(op, left, right)
        fop = BINARY.get(op)
        if fop is None:
            return fail(f"operator {op}", self.scope.loc(node))
        ctype = None if op in _COMPARE or op in ("<<", ">>") else arith_type(left.ctype, right.ctype)
        if op in ("<<", ">>"):
            ctype = left.ctype if left.ctype is not None and left.ctype.unsigned else None
        if op in _COMPARE and (arith_type(left.ctype, right.ctype) or CType(32, False)).unsigned:
            utype = arith_type(left.ctype, right.ctype)
            base = fop
            fop = lambda a, b: base(wrap(utype, a), wrap(utype, b))  # noqa: E731 - -1 < 0u is false
        if ctype is not None and ctype.unsigned:
            inner = fop
            fop = lambda a, b: wrap(ctype, inner(a, b))  # noqa: E731
        if not left.gen and not right.gen:
            lf, rf = left.fn, right.fn
            return Expr(False, lambda fr: fop(lf(fr), rf(fr)), ctype)
        lg, rg = lift(left), lift(right)

        def g(fr: Frame) -> Gen:
            a = yield from lg(fr)
            b = yield from rg(fr)
            return fop(a, b)

        return Expr(True, g, ctype)

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
        arg = self.compile(field(node, "argument"))
        ctype = arg.ctype if op in ("-", "~", "+") else None
        table: dict[str, Callable[[Any], Any]] = {
            "!": lambda v: int(not v), "-": lambda v: wrap(ctype, -v), "~": lambda v: wrap(ctype, ~v),
            "+": lambda v: v}
        fop = table.get(op)
        if fop is None:
            return fail(f"operator {op}", self.scope.loc(node))
        if not arg.gen:
            af = arg.fn
            return Expr(False, lambda fr: fop(af(fr)), ctype)
        ag = arg.fn

        def g(fr: Frame) -> Gen:
            return fop((yield from ag(fr)))

        return Expr(True, g, ctype)

    def _x_conditional_expression(self, node: tree_sitter.Node) -> Expr:
        cg = lift(self.compile(field(node, "condition")))
        consequence = node.child_by_field_name("consequence")
        ag = lift(self.compile(consequence)) if consequence is not None else None  # GNU a ?: b
        bg = lift(self.compile(field(node, "alternative")))

        def g(fr: Frame) -> Gen:
            c = yield from cg(fr)
            if c:
                return c if ag is None else (yield from ag(fr))
            return (yield from bg(fr))

        return Expr(True, g)

    def _x_comma_expression(self, node: tree_sitter.Node) -> Expr:
        ag = lift(self.compile(field(node, "left")))
        bg = lift(self.compile(field(node, "right")))

        def g(fr: Frame) -> Gen:
            yield from ag(fr)
            return (yield from bg(fr))

        return Expr(True, g)

    def _x_cast_expression(self, node: tree_sitter.Node) -> Expr:
        type_node = field(node, "type")
        text = node_text(type_node)
        pointer = "*" in text
        norm = normaliser(text, pointer)
        ctype = ctype_of(text, pointer)
        if not pointer and ctype is not None and ctype.bits == 64:
            base_norm = norm

            def norm(v: Any) -> Any:
                return PageAddr(v.index) if isinstance(v, PagePtr) else base_norm(v)

        if text.strip() == "void":
            norm = _discard
        vg = lift(self.compile(field(node, "value")))

        def g(fr: Frame) -> Gen:
            return norm((yield from vg(fr)))

        return Expr(True, g, ctype)

    def _x_sizeof_expression(self, node: tree_sitter.Node) -> Expr:
        type_node = node.child_by_field_name("type")
        if type_node is not None:
            known = sizeof_value(node_text(type_node))
            return Expr(False, lambda fr: known, CType(64, True))
        value = node.child_by_field_name("value")
        target = value
        while target is not None and target.type == "parenthesized_expression":
            target = named_children(target)[0]
        size: int | UnknownSize | None = None
        if target is not None and target.type == "identifier":
            local = self.scope.local(node_text(target))
            if local is not None and not local.array:
                size = sizeof_value(local.type_text + (" *" if local.pointer else ""))
        elif target is not None and target.type == "field_expression" and page_field(
                node_text(target.child_by_field_name("field"))) is not None:
            size = page_field_size(node_text(target.child_by_field_name("field")))
        elif target is not None and target.type in ("pointer_expression", "subscript_expression"):
            inner = named_children(target)[0] if target.type == "subscript_expression" else field(target, "argument")
            local = self.scope.local(node_text(inner)) if inner.type == "identifier" else None
            if local is not None and local.pointer:
                size = sizeof_value(local.type_text)
        if size is None:
            return fail(f"sizeof `{node_text(node)}`: a type the model does not lay out", self.scope.loc(node))
        result = size
        return Expr(False, lambda fr: result, CType(64, True))

    def _x_compound_literal_expression(self, node: tree_sitter.Node) -> Expr:
        """``(type){ value }`` of a scalar type: the value converted."""
        text = node_text(field(node, "type"))
        values = named_children(field(node, "value"))
        if len(values) != 1 or values[0].type == "initializer_pair" or "struct" in text or "union" in text:
            return fail(f"compound literal `{node_text(node)}`", self.scope.loc(node))
        norm = normaliser(text, "*" in text)
        vg = lift(self.compile(values[0]))

        def g(fr: Frame) -> Gen:
            return norm((yield from vg(fr)))

        return Expr(True, g)


def _discard(v: Any) -> Any:
    return 0


def _raiser(text: str) -> Callable[[Frame], Any]:
    def raise_(fr: Frame) -> Any:
        raise NotAnalysed(text)

    return raise_


def show(v: Any) -> str:
    return hex(v) if isinstance(v, int) and v > 255 else str(v)


def node_text(node: tree_sitter.Node | None) -> str:
    return "" if node is None or node.text is None else node.text.decode()


def field(node: tree_sitter.Node, name: str) -> tree_sitter.Node:
    child = node.child_by_field_name(name)
    if child is None:
        raise NotAnalysed(f"malformed {node.type} `{node_text(node)}`")
    return child


def named_children(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for c in node.named_children if c.type != "comment"]
