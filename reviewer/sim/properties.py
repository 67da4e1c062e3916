"""The properties checked on the final state of every execution (after the pcp drain).

Each check looks only at the final state and at per-location histories the model keeps (which
pages were freed while free, bad-page reports, stale reads), never at the relative order of
independent steps, so the explorer's partial-order reduction is sound for them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model.state import MEMCG_M, Where
from .system import SimSystem

__all__ = ["Breach", "judge"]


@dataclass(frozen=True, slots=True)
class Breach:
    """One property one execution violates."""

    property: str
    detail: str
    """Deterministic text: also the identity of the breach across executions."""
    pages: tuple[int, ...] = ()
    symbols: tuple[str, ...] = ()


def _pages(pages: list[int] | tuple[int, ...] | set[int]) -> str:
    ordered = sorted(pages)
    if len(ordered) > 1 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"pages {ordered[0]}..{ordered[-1]}"
    return ("pages " if len(ordered) > 1 else "page ") + ", ".join(str(p) for p in ordered)


def judge(system: SimSystem) -> list[Breach]:
    """Every property the finished execution violates (budget-exceeded if a thread was cut)."""
    if not system.finished():
        stuck = [system.names[tid] for tid in system.runnable()]
        return [Breach("budget-exceeded", f"execution cut at the step budget; still running: {', '.join(stuck)}",
                       symbols=())]
    system.drain()
    st = system.state
    found: list[Breach] = []
    for where in dict.fromkeys(st.cut):
        found.append(Breach("budget-exceeded", f"thread stopped: {where}"))
    if st.double_freed:
        found.append(Breach("double-free", f"{_pages(st.double_freed)} freed twice",
                            tuple(sorted(st.double_freed)), ("free_the_page", "__free_one_page")))
    lost = [i for i, w in enumerate(st.where) if w is Where.LOST]
    # the allocation's pages only: the frames around it stay with their owners
    never = [i for i, w in enumerate(st.where[:st.nr_pages]) if w is Where.ALLOCATED] if system.judge_leaks else []
    if lost or never:
        parts = []
        if lost:
            parts.append(f"{_pages(lost)} abandoned after a bad-page report")
        if never:
            parts.append(f"{_pages(never)} never returned to the allocator")
        found.append(Breach("page-leak", "; ".join(parts), tuple(sorted(lost + never)), ("free_pages_prepare",)))
    by_reason: dict[str, list[int]] = {}
    for page, reason in st.bad_pages:
        by_reason.setdefault(reason, []).append(page)
    for reason, pages in by_reason.items():
        found.append(Breach("bad-page", f'Bad page state: "{reason}" on {_pages(set(pages))}',
                            tuple(sorted(set(pages))), ("check_free_page", "bad_page")))
    for bug in dict.fromkeys(st.vm_bugs):
        found.append(Breach("assertion", bug, (), (bug.split("(")[0].split(":")[0],)))
    memcg = st.memcgs[MEMCG_M]
    still = tuple(i for i in range(st.nr_pages) if st.fields["memcg_data"][i] & ~3)
    if memcg.charged > 0 and system.judge_leaks:
        found.append(Breach("charge-leak", f"{memcg.charged} page(s) still charged to memcg {memcg.name}",
                            still, ("memcg_data", "mem_cgroup_uncharge", "__memcg_kmem_uncharge_page")))
    elif memcg.charged < 0:
        found.append(Breach("over-uncharge", f"memcg {memcg.name} uncharged {-memcg.charged} page(s) more than charged",
                            still, ("memcg_data", "__memcg_kmem_uncharge_page", "page_counter")))
    if memcg.css > 0 and system.judge_leaks:
        found.append(Breach("css-imbalance", f"css reference leaked: {memcg.css} get(s) on {memcg.name} never put",
                            (), ("css_get", "css_get_many", "css_put")))
    elif memcg.css < 0:
        found.append(Breach("css-imbalance", f"css puts exceed gets on {memcg.name} by {-memcg.css}",
                            (), ("css_put", "css_get")))
    seen: set[tuple[str, int]] = set()
    for read, _then in st.stale_reads:
        if (read.file, read.line) in seen:
            continue
        seen.add((read.file, read.line))
        found.append(Breach(
            "stale-read",
            f"{read.what} of page {read.page} read at {read.file}:{read.line} after another thread "
            f"freed page {read.page}; the value decides what this thread frees or writes next",
            (read.page,), (read.what.split("(")[0].split("->")[-1],)))
    return found
