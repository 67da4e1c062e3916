"""Callers that free compound pages with __free_pages(), when a revision changes that path.

What it finds: when the revision changes ``__free_pages()`` or code guarded by a
``PageHead`` / ``PageCompound`` / compound test, the tree's callers that hand compound pages to
``__free_pages()``, found with the two greps of the seed thread:
``git grep '__free_pages\\>.*compound'`` (one finding per call) and
``grep -l __GFP_COMP $(git grep -lw __free_pages)`` (one finding listing the files that both
allocate with __GFP_COMP and free with __free_pages) -- folded into one fixed-string
``git grep`` for both names, kept per tree (a revision re-reads only the files it touches).
Reported as context (info), on the applied tree and on the base, so callers the revision did
not add show as pre-existing.

Why it matters: "it's wrong to call __free_pages() on a compound page anyway" -- yet drivers do;
a change to how __free_pages() treats compound pages (or a WARN_ON for them) affects each one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tree_sitter

from reviewer.check_api import (
    CheckInfo,
    Confidence,
    Finding,
    FunctionContext,
    RevisionContext,
    Severity,
    walk,
)

INFO = CheckInfo(
    id="free-pages-on-compound",
    title="Callers freeing compound pages with __free_pages()",
    severity=Severity.INFO,
    rationale="""The tree's callers of __free_pages(p, compound_order(p)) and the files that
allocate with __GFP_COMP and free with __free_pages(): each depends on what __free_pages()
does for compound pages, which this revision changes.""",
    false_positives="""Many: the file-level grep assumes pages are allocated and freed in the same
file, and a file may use __GFP_COMP for other allocations than the ones it frees.""",
    confidence=Confidence.LOW,
    references=("https://lore.kernel.org/linux-mm/20210320032556.GD3420@casper.infradead.org/",),
)

_FREE_PAGES = re.compile(r"\b__free_pages\b")
_ON_COMPOUND = re.compile(r"\b__free_pages\b.*compound")
_COMPOUND_TEST = re.compile(r"\b(PageHead|PageCompound|PageTail|compound_order|compound_head|compound)\b")


def _changed_lines(ctx: RevisionContext, fn: FunctionContext, image_side: str) -> set[int]:
    out: set[int] = set()
    for pfile in ctx.patch:
        if pfile.path.removeprefix("b/") != fn.path:
            continue
        for hunk in pfile:
            for line in hunk:
                if image_side == "pre" and line.is_removed and line.source_line_no:
                    out.add(line.source_line_no)
                elif image_side == "post" and line.is_added and line.target_line_no:
                    out.add(line.target_line_no)
    return out


def _guarded_change(ctx: RevisionContext, fn: FunctionContext) -> bool:
    """True when a changed line is a compound test or sits under one (either image)."""
    for image_side, tree in (("pre", fn.pre_tree), ("post", fn.post_tree)):
        image = fn.touched.pre if image_side == "pre" else fn.touched.post
        if tree is None or image is None:
            continue
        lines = {n - image.start_line for n in _changed_lines(ctx, fn, image_side)}
        for node in walk(tree.root_node):
            if node.type != "if_statement" or not _compound_condition(node):
                continue
            if any(node.start_point.row <= row <= node.end_point.row for row in lines):
                return True
    return False


def _compound_condition(node: tree_sitter.Node) -> bool:
    cond = node.child_by_field_name("condition")
    return cond is not None and cond.text is not None and bool(_COMPOUND_TEST.search(cond.text.decode()))


def _anchor(ctx: RevisionContext) -> FunctionContext | None:
    """The touched function the change is about, when the revision changes the compound path."""
    for fn in ctx.functions:
        if fn.name == "__free_pages" or _guarded_change(ctx, fn):
            return fn
    return None


def check(ctx: RevisionContext) -> Iterable[Finding]:
    anchor = _anchor(ctx)
    if ctx.tree is None or anchor is None:
        return
    symbols = ("__free_pages", "compound_order", "PageHead", "__GFP_COMP")
    # Both of the thread's searches from one fixed-string pass over the tree.
    lines = ctx.tree.grep("-F", "-e", "__free_pages", "-e", "__GFP_COMP")
    calls = [h for h in lines if _FREE_PAGES.search(h.text)]
    for hit in (h for h in calls if _ON_COMPOUND.search(h.text)):
        yield INFO.finding(
            ctx,
            file=hit.path,
            line=hit.line,
            key=f"{hit.path}: {hit.text.strip()}",
            message=(f"{hit.text.strip()} frees a compound page with __free_pages(); "
                     f"{anchor.name}() changes how such pages are freed"),
            evidence=(f"{hit.path}:{hit.line}: {hit.text.strip()}",),
            symbols=symbols,
        )
    freeing = {h.path for h in calls}
    both = sorted(freeing & {h.path for h in lines if "__GFP_COMP" in h.text})
    if both:
        yield INFO.finding(
            ctx,
            file=anchor.path,
            line=anchor.image.start_line,
            function=anchor.name,
            key="files allocating with __GFP_COMP and freeing with __free_pages",
            message=(f"{len(both)} file(s) allocate with __GFP_COMP and free with __free_pages() "
                     f"(same-file heuristic; many are false positives): {', '.join(both[:8])}"
                     + (", ..." if len(both) > 8 else "")),
            evidence=tuple(both),
            symbols=symbols,
        )
