"""The C interpreter: a function's tree-sitter AST compiled once into generator closures.

A :class:`Program` resolves every call, in this order: the revision's own functions
(interpreted from their C source), the kernel model's functions (:mod:`.model`), the primitive
layer (:mod:`.primitives`: atomics, bit operations, no-op hooks), then the tree's definitions
through its :class:`SourceLookup` (functions, and function-like macros expanded by pcpp). A name
found nowhere fails with ``calls <fn>`` when reached. ``#ifdef``/``#if`` inside bodies are
decided at compile time against the kconfig map.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import tree_sitter

from ..cparse import parse_c
from ..model import FunctionImage
from ._cexpr import Expr, ExprCompiler, Frame, Loc, lift, named_children, node_text
from ._cpreproc import PreprocEvaluator, kconfig_defined
from ._cstmt import RETURN, StatementCompiler, Stmt, declarator_name
from ._ctypes import Local, ctype_of, normaliser
from ._errors import NotAnalysed
from .memory import GlobalPtr, PathPtr
from .model import PRIMITIVES
from .model.state import Cpu, Gen
from .primitives import layer_primitive
from .resolve import expand_call

if TYPE_CHECKING:
    from .resolve import ResolvedMacro

__all__ = ["CFunction", "Program", "SourceLookup"]

CFunction = Callable[[Cpu, list[Any]], Gen]
_MAX_DEPTH = 32
_MACROS: dict[str, tuple[str, tuple[Any, ...]]] = {"__free_page": ("__free_pages", (0,))}
"""Function-like macros the simulator knows without a tree: ``__free_page(p)`` is
``__free_pages(p, 0)``, so a revision's __free_pages is what it runs."""
DEFAULT_ITERATIONS = 5000


class SourceLookup(Protocol):
    def lookup(self, name: str) -> FunctionImage | None: ...


class Program:
    """The functions one simulation may call, compiled on first use."""

    def __init__(self, images: Mapping[str, FunctionImage], *, kconfig: Mapping[str, bool | int | str],
                 lookup: SourceLookup | None, debug_vm: bool, max_iterations: int = DEFAULT_ITERATIONS,
                 prefer_tree: frozenset[str] = frozenset()) -> None:
        """``prefer_tree``: names run from the tree's definition even where the model has one
        (the differential test of the model against the real code)."""
        self.images = dict(images)
        self.prefer_tree = prefer_tree
        self.kconfig = kconfig
        self.lookup = lookup
        self.debug_vm = debug_vm
        self.max_iterations = max_iterations
        self._loops: dict[tuple[str, str], tree_sitter.Node | None] = {}
        self._trees: list[tree_sitter.Tree] = []
        self.repairs: dict[str, None] = {}
        """What the interpreter had to assume to run code that does not compile as posted."""
        self._compiled: dict[str, CFunction] = {}

    def provides(self, name: str) -> bool:
        """Whether ``name`` is a function (not a macro) for this program."""
        if name in self.prefer_tree and self.lookup is not None:
            return self.lookup.lookup(name) is not None
        return (name in self.images or name in PRIMITIVES or name in _MACROS
                or layer_primitive(name) is not None
                or (self.lookup is not None and self.lookup.lookup(name) is not None))

    def macro(self, name: str) -> ResolvedMacro | None:
        find = getattr(self.lookup, "macro", None)
        found: ResolvedMacro | None = find(name) if find is not None else None
        return found

    def constant(self, name: str) -> int | None:
        find = getattr(self.lookup, "constant", None)
        found: int | None = find(name) if find is not None else None
        return found

    def global_object(self, name: str) -> PathPtr | None:
        """A global variable the tree declares: memory the model does not lay out."""
        find = getattr(self.lookup, "global_type", None)
        ctype = find(name) if find is not None else None
        return PathPtr(name, (), ctype) if ctype is not None else None

    def struct_layout(self, name: str) -> dict[str, str] | None:
        find = getattr(self.lookup, "struct_layout", None)
        found: dict[str, str] | None = find(name) if find is not None else None
        return found

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
        prim = None if name in self.prefer_tree else PRIMITIVES.get(name) or layer_primitive(name)
        if image is None and prim is None and self.lookup is not None:
            image = self.lookup.lookup(name)
        if image is not None:
            fn = self.compile_image(image, name)
        elif prim is not None:
            primitive = prim

            def fn(cx: Cpu, args: list[Any]) -> Gen:
                return primitive(cx, *args)
        else:
            where = f" at {loc[0]}:{loc[1]}" if loc else ""
            raise NotAnalysed(f"calls {name}(), which neither the model nor the tree provides{where}")
        self._compiled[name] = fn
        return fn

    def loop_macro(self, name: str, use: str, depth: int = 0) -> tree_sitter.Node | None:
        """The ``for`` statement ``use`` (a use of macro ``name``) expands to; None if it is no loop."""
        key = (name, use)
        if key not in self._loops:
            self._loops[key] = self._loop_macro(name, use, depth)
        return self._loops[key]

    def _loop_macro(self, name: str, use: str, depth: int) -> tree_sitter.Node | None:
        if depth > 3 or self.provides(name):
            return None
        macro = self.macro(name)
        if macro is None or macro.macro.params is None:
            return None
        text = expand_call(macro.macro.definition(), use)
        if not text.startswith("for"):
            inner = re.match(r"([A-Za-z_]\w*)\s*\(", text)  # for_each_x(a) defined as for_each_y(a, b)
            return self.loop_macro(inner.group(1), text, depth + 1) if inner and _close(text, inner.end() - 1) == len(text) else None
        tree = parse_c(f"void __loop(void)\n{{\n{text}\n;\n}}\n")
        loop = _only_statement(tree.root_node)
        if loop is None or loop.type != "for_statement" or loop.has_error:
            return None
        self._trees.append(tree)  # the nodes live as long as the code compiled from them
        return loop

    def _loop_macros(self, text: str) -> str:
        """Uses of loop macros (``list_for_each_entry(pos, head, lru)`` at the start of a line,
        its body after it) written as ``for (; list_for_each_entry(pos, head, lru);)``, so that
        tree-sitter reads the body as the loop's, whatever statement it is; the statement
        compiler then runs the macro's own ``for`` header (``loop_macro``). Lines stay lines."""
        out: list[str] = []
        done = 0
        for m in _STATEMENT_CALL.finditer(text):
            if m.start() < done:
                continue
            end = _close(text, m.end() - 1)
            if end < 0 or not _BODY_FOLLOWS.match(text, end) or m.group(2) in _STATEMENT_WORDS:
                continue
            if self.loop_macro(m.group(2), text[m.start(2):end]) is None:
                continue
            out.append(text[done:m.start(2)] + "for (; " + text[m.start(2):end] + ";)")
            done = end
        return "".join(out) + text[done:]

    def compile_image(self, image: FunctionImage, name: str, *, file: str | None = None) -> CFunction:
        if not image.complete:
            return _failing(f"{name}() is not wholly inside the hunks at {image.path}:{image.start_line}")
        problems = [p for p in image.problems if "tree-sitter could not parse" not in p]
        if problems:
            return _failing(f"{name}(): {problems[0]}")
        from .resolve import strip_annotations

        tree = parse_c(self._loop_macros(strip_annotations(image.source)))
        for node in tree.root_node.named_children:
            if node.type == "function_definition" and _declared_name(node) == name:
                if node.has_error:  # tree-sitter's recovery drops or reshapes code: never run a guess
                    missing = _missing_semicolons(node)
                    if missing is None:
                        line = image.start_line + _first_error_row(node)
                        return _failing(f"tree-sitter could not parse {name}() at {file or image.path}:{line}")
                    for row in missing:
                        self.repairs[f"{file or image.path}:{image.start_line + row}: ';' missing in "
                                     f"{name}() as posted, read as if it were there"] = None
                return _FunctionCompiler(self, image, node, file or image.path).build()
        return _failing(f"no definition of {name}() parses at {image.path}:{image.start_line}")


_STATEMENT_CALL = re.compile(r"^([ \t]*)([A-Za-z_]\w*)[ \t]*\(", re.M)
_BODY_FOLLOWS = re.compile(r"[ \t]*(\{[ \t]*)?(/\*.*?\*/[ \t]*|//.*)?$", re.M)


_STATEMENT_WORDS = frozenset({"if", "while", "for", "switch", "return", "sizeof", "do", "else", "case"})


def _close(text: str, i: int) -> int:
    """The index after the parenthesis that closes the one at ``text[i]``, or -1."""
    depth = 0
    for j in range(i, len(text)):
        c = text[j]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        elif c == ";" and depth == 1:  # a statement's end: not a macro use's argument list
            return -1
    return -1


def _failing(reason: str) -> CFunction:
    def fn(cx: Cpu, args: list[Any]) -> Gen:
        raise NotAnalysed(reason)
        yield

    return fn


def _missing_semicolons(node: tree_sitter.Node) -> list[int] | None:
    """Rows of MISSING ';' nodes when those are the only parse errors (a sketch typed in a mail)."""
    rows: list[int] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type == "ERROR":
            return None
        if n.is_missing:
            if n.type != ";":
                return None
            rows.append(n.start_point.row)
        elif n.has_error:
            stack.extend(n.children)
    return sorted(rows)


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


class _FunctionCompiler(StatementCompiler):
    def __init__(self, program: Program, image: FunctionImage, node: tree_sitter.Node, file: str) -> None:
        self.program = program
        self.image = image
        self.node = node
        self.file = file
        self.lines = image.source.split("\n")
        self.scopes: list[dict[str, Any]] = [{}]
        self.nslots = 3
        self.exprs = ExprCompiler(self)
        self.name = _declared_name(node)
        self.max_iterations = program.max_iterations
        self.pp = PreprocEvaluator(program.kconfig, self.loc)
        self._loc_override: list[Loc] = []

    # ---- the Scope protocol used by ExprCompiler
    def _declared(self, name: str) -> Local | GlobalPtr | None:
        """The innermost declaration of ``name``: a local, or a static local."""
        for scope in reversed(self.scopes):
            found: Local | GlobalPtr | None = scope.get(name)
            if found is not None:
                return found
        return None

    def local(self, name: str) -> Local | None:
        found = self._declared(name)
        return found if isinstance(found, Local) else None

    def static(self, name: str) -> GlobalPtr | None:
        found = self._declared(name)
        return found if isinstance(found, GlobalPtr) else None

    def global_object(self, name: str) -> PathPtr | None:
        return self.program.global_object(name)

    def loc(self, node: tree_sitter.Node) -> Loc:
        if self._loc_override:
            return self._loc_override[-1]
        row = node.start_point.row
        text = self.lines[row].strip() if row < len(self.lines) else ""
        return (self.file, self.image.start_line + row, text)

    def call(self, name: str, loc: Loc) -> Callable[[Cpu, list[Any]], Gen]:
        program = self.program
        cell: list[CFunction] = []

        def lazy(cx: Cpu, args: list[Any]) -> Gen:
            if not cell:
                cell.append(program.function(name, loc))
            return cell[0](cx, args)

        return lazy

    def macro(self, name: str) -> ResolvedMacro | None:
        return self.program.macro(name)

    def loop_macro(self, call: tree_sitter.Node) -> tree_sitter.Node | None:
        fn = call.child_by_field_name("function")
        if fn is None or fn.type != "identifier":
            return None
        return self.program.loop_macro(node_text(fn), node_text(call))

    def constant(self, name: str) -> int | None:
        return self.program.constant(name)

    def has_function(self, name: str) -> bool:
        return self.program.provides(name)

    def kconfig_on(self, name: str) -> bool:
        return kconfig_defined(self.program.kconfig, name)

    def kconfig_value(self, name: str) -> int:
        setting = self.program.kconfig.get(name, 0)
        return setting if isinstance(setting, int) else int(kconfig_defined(self.program.kconfig, name))

    @property
    def debug_vm(self) -> bool:
        return self.program.debug_vm

    def statement_expression(self, node: tree_sitter.Node) -> Expr:
        """GNU ``({ s1; s2; e; })``: the statements, then the last expression's value."""
        parts = named_children(node)
        self.scopes.append({})
        try:
            body = self.block(parts[:-1]) if len(parts) > 1 else None
            last = parts[-1] if parts else None
            if last is not None and last.type == "expression_statement" and named_children(last):
                value = lift(self.exprs.compile(named_children(last)[0]))
            else:
                body = self.block(parts)
                value = None
        finally:
            self.scopes.pop()

        def g(fr: Frame) -> Gen:
            if body is not None:
                code = yield from body(fr)
                if code:
                    raise NotAnalysed(f"control leaves a statement expression at {fr[0].loc[0]}:{fr[0].loc[1]}")
            return (yield from value(fr)) if value is not None else 0

        return Expr(True, g)

    def expansion(self, text: str, loc: Loc, what: str) -> Expr:
        """A macro's expansion compiled in this scope; steps cite the line that uses the macro."""
        self._loc_override.append(loc)
        try:
            tree = parse_c(f"void __expansion(void)\n{{\n({text});\n}}\n")
            stmt = _only_statement(tree.root_node)
            if stmt is not None and stmt.type == "expression_statement" and not stmt.has_error:
                return self.exprs.compile(named_children(stmt)[0])
            tree = parse_c(f"void __expansion(void)\n{{\n{text};\n}}\n")
            body = tree.root_node.named_children[0].child_by_field_name("body") if tree.root_node.named_children else None
            if body is None or body.has_error:
                raise NotAnalysed(f"{what} expands to `{text[:120]}`, which does not parse at {loc[0]}:{loc[1]}")
            run = self.block(list(body.named_children))  # a declaration macro declares here

            def g(fr: Frame) -> Gen:
                code = yield from run(fr)
                if code == RETURN:
                    raise NotAnalysed(f"{what} returns from its caller at {loc[0]}:{loc[1]}")
                return 0

            return Expr(True, g)
        finally:
            self._loc_override.pop()

    def declare(self, name: str, type_text: str, pointer: bool, array: bool = False, struct: bool = False) -> int:
        i = self.nslots
        self.nslots += 1
        self.scopes[-1][name] = Local(i, normaliser(type_text, pointer), ctype_of(type_text, pointer),
                                      type_text, pointer, array, struct)
        return i

    def declare_static(self, name: str, init: Any) -> str:
        qualified = f"{self.name}::{name}"
        self.scopes[-1][name] = GlobalPtr(qualified, init)
        return qualified

    def pp_ifdef(self, node: tree_sitter.Node) -> bool:
        return self.pp.ifdef_taken(node)

    def pp_value(self, node: tree_sitter.Node) -> int:
        return self.pp.value(node)

    # ---- function
    def build(self) -> CFunction:
        decl = self.node.child_by_field_name("declarator")
        returns_pointer = False
        while decl is not None and decl.type != "function_declarator":
            returns_pointer = returns_pointer or decl.type == "pointer_declarator"
            decl = decl.child_by_field_name("declarator")
        # C converts the returned value to the declared type (bool f() returns 0 or 1)
        ret_type = node_text(self.node.child_by_field_name("type"))
        ret_norm = normaliser(ret_type, returns_pointer)
        if ret_type.strip() == "void" and not returns_pointer:
            ret_norm = _none
        params: list[Local] = []
        plist = decl.child_by_field_name("parameters") if decl is not None else None
        for p in named_children(plist) if plist is not None else []:
            if p.type != "parameter_declaration":
                return _failing(f"parameter `{node_text(p)}` of {self.name}() at {self.loc(p)[0]}:{self.loc(p)[1]}")
            d = p.child_by_field_name("declarator")
            if d is None:  # (void)
                continue
            pname, pointer, _ = declarator_name(d)
            self.declare(pname, node_text(p.child_by_field_name("type")), pointer)
            found = self.local(pname)
            assert found is not None
            params.append(found)
        if self.name in self.program.images:  # only code as posted, never the tree's
            self._implicit_locals()
        body: Stmt = self.stmt(self.node.child_by_field_name("body") or self.node)
        nslots, fname, where = self.nslots, self.name, self.loc(self.node)

        def fn(cx: Cpu, args: list[Any]) -> Gen:
            if len(args) != len(params):
                raise NotAnalysed(f"{fname}() called with {len(args)} arguments at {cx.loc[0]}:{cx.loc[1]}")
            if len(cx.stack) > _MAX_DEPTH:
                raise NotAnalysed(f"call depth above {_MAX_DEPTH} in {fname}() at {where[0]}:{where[1]}")
            fr: Frame = [cx, None, None] + [0] * (nslots - 3)
            for p, v in zip(params, args, strict=True):
                fr[p.slot] = p.norm(v)
            cx.called.add(fname)
            cx.enter(fname)
            yield from body(fr)
            cx.stack.pop()
            return ret_norm(fr[1])

        return fn

    def _implicit_locals(self) -> None:
        """A sketch typed in a mail may use a loop counter it never declares (``for (i = 1; ...``):
        a name whose first use is an assignment, and that nothing else defines, is taken as a
        local ``int``, and the verdict says so."""
        body = self.node.child_by_field_name("body")
        if body is None:
            return
        declared: set[str] = set()
        seen: set[str] = set()
        stack = [body]
        order: list[tree_sitter.Node] = []
        while stack:
            n = stack.pop()
            order.append(n)
            stack.extend(reversed(n.children))
        for n in order:
            if n.type in ("init_declarator", "declaration", "pointer_declarator", "array_declarator"):
                d = n.child_by_field_name("declarator")
                if d is not None and d.type == "identifier":
                    declared.add(node_text(d))
            if n.type != "identifier" or n.parent is None or n.parent.type == "call_expression":
                continue
            name = node_text(n)
            if name in seen or name in declared or self.local(name) is not None:
                continue
            seen.add(name)
            parent = n.parent
            if (parent.type == "assignment_expression" and parent.child_by_field_name("left") == n
                    and self.constant(name) is None and self.macro(name) is None):
                self.declare(name, "int", False)
                row = n.start_point.row
                self.program.repairs[f"{self.file}:{self.image.start_line + row}: `{name}` is not declared in "
                                     f"{self.name}() as posted, taken as a local int"] = None


def _none(v: Any) -> None:
    return None


def _only_statement(root: tree_sitter.Node) -> tree_sitter.Node | None:
    if not root.named_children:
        return None
    body = root.named_children[0].child_by_field_name("body")
    stmts = named_children(body) if body is not None else []
    return stmts[0] if len(stmts) == 1 else None

