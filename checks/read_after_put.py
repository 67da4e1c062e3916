"""Page state read after a put that may have dropped the last reference.

What it finds: after ``put_page_testzero(page)`` (or ``put_page``, ``folio_put``,
``page_ref_dec_and_test``, ...) a read of the page's state -- ``PageHead(page)``,
``compound_order(page)``, ``page_memcg(page)``, ``page->memcg_data``, a
``split_page_memcg(page, ...)`` -- on a path where the put may have dropped the last
reference: after an unconditional put, or where a ``*_testzero`` / ``*_and_test`` put
returned false (the else-branch of ``if (put_page_testzero(page))``).

Why it matters: once our reference is gone the page belongs to whoever holds the last one (a
speculative page-cache lookup, for instance); it may free the page at any moment, and freeing
clears PG_head and memcg_data. A read there sees the freed (or reallocated) page: the seed
thread's ``!PageHead(page)`` after the put made ``__free_pages()`` free a compound page's tail
pages twice, and ``split_page_memcg()`` there finds ``memcg_data`` already cleared. The fix is
to read the state before the put and use the cached value (``bool compound = PageHead(page)``).

The analysis works on the tree-sitter tree of each touched function, statement by statement,
with the branch outcome of the put as its only path condition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import tree_sitter

from reviewer.check_api import (
    CheckInfo,
    Confidence,
    Finding,
    FunctionContext,
    RevisionContext,
    Severity,
    call_arguments,
    call_name,
    walk,
)

INFO = CheckInfo(
    id="read-after-put",
    title="Page state read after a put that may have dropped the last reference",
    severity=Severity.WARNING,
    rationale="""A read of a page's flags, order or memcg_data after our reference is put, on a
path where another holder may already have freed the page. Read it before the put.""",
    false_positives="""Callers that hold a second reference of their own (the put cannot be the
last one); state that cannot change while the page is free; aliases (the page reached through
another variable) are not followed, so those reads are missed rather than reported.""",
    confidence=Confidence.MODERATE,
    references=(
        "https://lore.kernel.org/linux-mm/alpine.LSU.2.11.2103191814040.1043@eggly.anvils/",
        "https://lore.kernel.org/linux-mm/alpine.LSU.2.11.2103251716160.12404@eggly.anvils/",
    ),
)

# Puts that report whether they dropped the last reference: true means the page is ours
# (refcount zero, nobody else can free it); false means someone else may free it any time.
_TESTING_PUTS = frozenset({
    "put_page_testzero", "page_ref_dec_and_test", "page_ref_sub_and_test",
    "folio_put_testzero", "folio_ref_dec_and_test", "folio_ref_sub_and_test",
})
# Puts that free the page themselves when they drop the last reference.
_PLAIN_PUTS = frozenset({"put_page", "folio_put", "folio_put_refs", "put_page_refs", "__put_page"})

_STATE_CALLS = frozenset({
    "compound_order", "compound_nr", "compound_head", "page_folio", "page_memcg",
    "page_memcg_check", "page_memcg_rcu", "folio_memcg", "split_page_memcg", "page_count",
    "page_ref_count", "folio_ref_count", "page_mapping", "page_private", "folio_order",
    "folio_nr_pages", "mem_cgroup_from_page", "thp_nr_pages",
})
_FLAG_TEST = re.compile(r"^(Page[A-Z]\w*|folio_test_\w+)$")
_STATE_FIELDS = frozenset({
    "flags", "memcg_data", "mapping", "private", "compound_head", "lru", "index",
    "_refcount", "_mapcount",
})
# Extra names a finding carries so it can be linked to review comments that name them.
_RELATED = {
    "PageHead": ("PG_head",),
    "PageCompound": ("PG_head",),
    "split_page_memcg": ("page_memcg", "memcg_data"),
    "page_memcg": ("memcg_data",),
    "folio_memcg": ("memcg_data",),
}

_BRANCH_HINTS = frozenset({"likely", "unlikely"})


@dataclass(frozen=True, slots=True)
class _Put:
    callee: str
    var: str
    node: tree_sitter.Node
    returned_false: bool
    """The path is the false outcome of a testing put (otherwise: after a plain put)."""


_State = dict[str, _Put] | None
"""Variable -> the put that may have dropped its last reference; None: path unreachable."""


def _merge(*states: _State) -> _State:
    live = [s for s in states if s is not None]
    if not live:
        return None
    out: dict[str, _Put] = {}
    for s in live:
        for var, put in s.items():
            out.setdefault(var, put)
    return out


def _first_var(call: tree_sitter.Node) -> str | None:
    args = call_arguments(call)
    if args and args[0].type == "identifier" and args[0].text is not None:
        return args[0].text.decode()
    return None


def _assigned_var(node: tree_sitter.Node, fn: FunctionContext) -> str | None:
    """The plain variable a ``v = ...`` assignment or ``T *v = ...`` declarator (re)binds."""
    if node.type == "assignment_expression":
        target = node.child_by_field_name("left")
    elif node.type == "init_declarator":
        target = node.child_by_field_name("declarator")
        while target is not None and target.type == "pointer_declarator":
            target = target.child_by_field_name("declarator")
    else:
        return None
    return fn.text(target) if target is not None and target.type == "identifier" else None


def _declared_names(block: tree_sitter.Node, fn: FunctionContext) -> set[str]:
    names = set()
    for decl in (c for c in block.named_children if c.type == "declaration"):
        for target in decl.children_by_field_name("declarator"):
            while target.type in ("init_declarator", "pointer_declarator", "array_declarator"):
                inner = target.child_by_field_name("declarator")
                if inner is None:
                    break
                target = inner
            if target.type == "identifier":
                names.add(fn.text(target))
    return names


def _strip(node: tree_sitter.Node) -> tree_sitter.Node:
    """Drop parentheses and likely()/unlikely() around a condition."""
    while True:
        if node.type == "parenthesized_expression" and node.named_child_count == 1:
            node = node.named_children[0]
        elif call_name(node) in _BRANCH_HINTS and len(call_arguments(node)) == 1:
            node = call_arguments(node)[0]
        else:
            return node


@dataclass
class _Walker:
    """Walks one function body carrying the may-be-released state along each path."""

    fn: FunctionContext
    reads: dict[int, tuple[tree_sitter.Node, str, str, _Put]] = field(default_factory=dict)
    loop_exits: list[list[_State]] = field(default_factory=list)
    loop_continues: list[list[_State]] = field(default_factory=list)
    """Per enclosing loop (switches do not count): the states ``continue`` carries to its head."""
    gotos: dict[str, list[_State]] = field(default_factory=dict)

    # -- expressions ---------------------------------------------------------------

    def _read_of(self, node: tree_sitter.Node) -> tuple[str, str, str] | None:
        """(variable, description, accessor) when ``node`` reads a page's state."""
        name = call_name(node)
        if name is not None and (name in _STATE_CALLS or _FLAG_TEST.match(name)):
            var = _first_var(node)
            if var is not None:
                more = ", ..." if len(call_arguments(node)) > 1 else ""
                return var, f"{name}({var}{more})", name
        if node.type == "field_expression":
            arg, fld, op = (node.child_by_field_name(k) for k in ("argument", "field", "operator"))
            if arg is not None and fld is not None and arg.type == "identifier" and (
                op is None or op.type == "->"
            ):
                field_name = self.fn.text(fld)
                parent = node.parent
                written = (
                    parent is not None
                    and parent.type == "assignment_expression"
                    and parent.child_by_field_name("left") == node
                )
                if field_name in _STATE_FIELDS and not written:
                    var = self.fn.text(arg)
                    return var, f"{var}->{field_name}", field_name
        return None

    def scan(self, node: tree_sitter.Node, state: _State) -> _State:
        """Apply the reads and puts inside an expression, in evaluation (end-position) order."""
        if state is None:
            return None
        kinds = ("call_expression", "field_expression", "assignment_expression", "init_declarator")
        events = [n for n in walk(node) if n.type in kinds]
        for n in sorted(events, key=lambda n: n.end_byte):
            assigned = _assigned_var(n, self.fn)
            if assigned is not None:
                # ``page = next;``: the name now holds another page, whatever happened to the old one.
                state = {k: v for k, v in state.items() if k != assigned}
                continue
            name = call_name(n)
            if name in _TESTING_PUTS or name in _PLAIN_PUTS:
                var = _first_var(n)
                if var is not None:
                    state = {**state, var: _Put(name or "", var, n, False)}
                continue
            read = self._read_of(n)
            if read is not None and read[0] in state:
                self.reads.setdefault(n.start_byte, (n, read[1], read[2], state[read[0]]))
        return state

    def condition(self, node: tree_sitter.Node, state: _State) -> tuple[_State, _State]:
        """(state if true, state if false) after evaluating a branch condition."""
        if state is None:
            return None, None
        node = _strip(node)
        if node.type == "unary_expression" and self.fn.text(node).startswith("!"):
            operand = node.child_by_field_name("argument")
            if operand is not None:
                when_true, when_false = self.condition(operand, state)
                return when_false, when_true
        if node.type == "binary_expression":
            op = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if op is not None and left is not None and right is not None and op.type in ("&&", "||"):
                lt, lf = self.condition(left, state)
                if op.type == "&&":
                    rt, rf = self.condition(right, lt)
                    return rt, _merge(lf, rf)
                rt, rf = self.condition(right, lf)
                return _merge(lt, rt), rf
        name = call_name(node)
        var = _first_var(node) if name in _TESTING_PUTS else None
        if name is not None and var is not None:
            for arg in call_arguments(node)[1:]:
                state = self.scan(arg, state)
            if state is None:
                return None, None
            owned = {k: v for k, v in state.items() if k != var}
            return owned, {**state, var: _Put(name, var, node, True)}
        after = self.scan(node, state)
        return after, after

    # -- statements ----------------------------------------------------------------

    def run(self, node: tree_sitter.Node | None, state: _State) -> _State:
        if node is None:
            return state
        kind = node.type
        if kind == "labeled_statement":
            label = node.child_by_field_name("label")
            state = _merge(state, *self.gotos.pop(self.fn.text(label) if label else "", []))
            return self.run(node.named_children[-1], state)
        if state is None:
            return None
        if kind in ("compound_statement", "case_statement"):
            entry = state
            for child in node.named_children:
                state = self.run(child, state)
            # Names this block declares shadow the outer ones only inside it.
            shadowed = _declared_names(node, self.fn)
            if state is None or not shadowed:
                return state
            return {k: v for k, v in state.items() if k not in shadowed} | {
                k: v for k, v in entry.items() if k in shadowed}
        if kind in ("preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif"):
            # The block may be configured out: the path around it stays possible.
            inner: _State = state
            for child in node.named_children:
                if child.type not in ("identifier", "comment") and child != node.child_by_field_name("condition"):
                    inner = self.run(child, inner)
            return _merge(state, inner)
        if kind == "if_statement":
            cond = node.child_by_field_name("condition")
            when_true, when_false = self.condition(cond, state) if cond else (state, state)
            then_end = self.run(node.child_by_field_name("consequence"), when_true)
            alternative = node.child_by_field_name("alternative")
            if alternative is not None:
                when_false = self.run(alternative.named_children[-1], when_false)
            return _merge(then_end, when_false)
        if kind in ("while_statement", "for_statement", "do_statement"):
            return self._loop(node, state)
        if kind == "switch_statement":
            cond = node.child_by_field_name("condition")
            head = self.scan(cond, state) if cond else state
            self.loop_exits.append([])
            end = head
            body = node.child_by_field_name("body")
            for case in body.named_children if body else []:
                end = self.run(case, _merge(end, head))
            return _merge(end, head, *self.loop_exits.pop())
        if kind == "return_statement":
            self.scan(node, state)
            return None
        if kind == "break_statement":
            if self.loop_exits:
                self.loop_exits[-1].append(state)
            return None
        if kind == "continue_statement":
            if self.loop_continues:
                self.loop_continues[-1].append(state)
            return None
        if kind == "goto_statement":
            label = node.child_by_field_name("label")
            self.gotos.setdefault(self.fn.text(label) if label else "", []).append(state)
            return None
        if kind == "comment":
            return state
        return self.scan(node, state)

    def _loop(self, node: tree_sitter.Node, state: _State) -> _State:
        cond = node.child_by_field_name("condition")
        body = node.child_by_field_name("body")
        if node.type == "for_statement":
            init = node.child_by_field_name("initializer")
            state = self.scan(init, state) if init else state
        update = node.child_by_field_name("update")
        head = state
        exits: list[_State] = []
        # Twice round: a put in one iteration reaches the reads of the next.
        for _ in range(2):
            self.loop_exits.append([])
            self.loop_continues.append([])
            if node.type == "do_statement":
                end = self.run(body, head)
                end = _merge(end, *self.loop_continues.pop())
                when_true, when_false = self.condition(cond, end) if cond else (end, None)
            else:
                when_true, when_false = self.condition(cond, head) if cond else (head, None)
                end = self.run(body, when_true)
                end = _merge(end, *self.loop_continues.pop())
                end = self.scan(update, end) if update else end
                when_true = end
            exits.extend(self.loop_exits.pop())
            exits.append(when_false)
            head = _merge(head, when_true)
        return _merge(*exits)


def _findings(ctx: RevisionContext, fn: FunctionContext) -> Iterator[Finding]:
    body = fn.body
    if body is None:
        return
    walker = _Walker(fn)
    walker.run(body, {})
    if walker.gotos:  # gotos to a label above them (retry loops): a second pass takes them there
        walker.run(body, {})
    for node, what, accessor, put in sorted(walker.reads.values(), key=lambda r: r[0].start_byte):
        put_text = f"{put.callee}({put.var})"
        if put.returned_false:
            why = (f"{put_text} on line {fn.line(put.node)} returned false on this path, so another "
                   f"holder still has a reference and may free the page at any moment")
        else:
            why = f"{put_text} on line {fn.line(put.node)} may have dropped the last reference and freed the page"
        yield INFO.finding(
            ctx,
            file=fn.path,
            line=fn.line(node),
            function=fn.name,
            key=f"{what} after {put_text}",
            message=(f"{what} in {fn.name}() reads the page after {put_text}: {why}; "
                     f"read it before the put and use the cached value"),
            evidence=(fn.evidence(put.node), fn.evidence(node)),
            symbols=(accessor, *_RELATED.get(accessor, ()), put.callee, fn.name),
        )


def check(ctx: RevisionContext) -> Iterable[Finding]:
    # A function the synthetic base holds only in part, with gaps, has no reliable paths.
    for fn in ctx.functions:
        if fn.analysable:
            yield from _findings(ctx, fn)
