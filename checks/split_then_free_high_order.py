"""memcg data copied into every subpage, then sub-blocks of order > 0 freed.

What it finds: ``split_page_memcg(page, nr)`` with ``nr`` not 1 (it charges every one of the
``nr`` subpages: each gets ``memcg_data``), followed in the same function by a loop freeing
sub-blocks with ``free_the_page()`` / ``__free_pages()`` at an order that is not literally 0.

Why it matters: freeing an order-N block checks its tail pages --
``free_pages_prepare()`` -> ``check_free_page()`` -> ``page_expected_state()`` -- and every
tail page that still has ``memcg_data`` set is reported as a bad page ("page still charged to
cgroup"). Only the first page of each freed block may carry the memcg; either split into
order-0 pages or copy ``memcg_data`` to the first page of each sub-block only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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
    id="split-then-free-high-order",
    title="split_page_memcg() on every subpage, then blocks of order > 0 freed",
    severity=Severity.ERROR,
    rationale="""split_page_memcg(page, nr) sets memcg_data on all nr subpages; freeing them as
blocks of order > 0 then finds memcg_data on the blocks' tail pages, and check_free_page()
reports each as a bad page ("page still charged to cgroup").""",
    false_positives="""An order argument that is a variable always 0 at run time; a memcg_data
cleared on the tail pages between the split and the free (not looked for).""",
    confidence=Confidence.MODERATE,
    references=("https://lore.kernel.org/linux-mm/alpine.LSU.2.11.2103251716160.12404@eggly.anvils/",),
)

# Free functions that check the block's tail pages, and the index of their order argument
# (free_one_page(zone, page, pfn, order, migratetype, fpi_flags); the others take (page, order)).
_BLOCK_FREES = {"free_the_page": 1, "__free_pages": 1, "__free_pages_ok": 1, "free_unref_page": 1,
                "__free_pages_core": 1, "free_one_page": 3}
_LOOPS = frozenset({"while_statement", "for_statement", "do_statement"})


def _in_loop(node: tree_sitter.Node, stop: tree_sitter.Node) -> bool:
    parent = node.parent
    while parent is not None and parent != stop:
        if parent.type in _LOOPS:
            return True
        parent = parent.parent
    return False


def _findings(ctx: RevisionContext, fn: FunctionContext) -> Iterator[Finding]:
    body = fn.body
    if body is None:
        return
    calls = [n for n in walk(body) if n.type == "call_expression"]
    for split in calls:
        args = call_arguments(split)
        if call_name(split) != "split_page_memcg" or len(args) != 2 or fn.text(args[1]) == "1":
            continue
        for free in calls:
            free_args = call_arguments(free)
            name = call_name(free)
            at = _BLOCK_FREES.get(name or "", -1)
            if (at < 0 or free.start_byte < split.end_byte or len(free_args) <= at
                    or fn.text(free_args[at]) == "0" or not _in_loop(free, body)):
                continue
            order = fn.text(free_args[at])
            split_text = f"split_page_memcg({fn.text(args[0])}, {fn.text(args[1])})"
            yield INFO.finding(
                ctx,
                file=fn.path,
                line=fn.line(split),
                function=fn.name,
                key=f"{split_text} then {name}(..., {order})",
                message=(f"{split_text} in {fn.name}() sets memcg_data on every subpage, then "
                         f"{name}() on line {fn.line(free)} frees blocks of order "
                         f"{order} > 0: check_free_page() finds memcg_data on "
                         f"their tail pages and reports bad pages (\"page still charged to cgroup\")"),
                evidence=(fn.evidence(split), fn.evidence(free)),
                symbols=("split_page_memcg", "memcg_data", name or "", "free_pages_prepare",
                         "check_free_page", "page_expected_state", fn.name),
            )
            break


def check(ctx: RevisionContext) -> Iterable[Finding]:
    # A function the synthetic base holds only in part, with gaps, has no reliable paths.
    for fn in ctx.functions:
        if fn.analysable:
            yield from _findings(ctx, fn)
