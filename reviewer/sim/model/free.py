"""The page-free path: free_the_page down to the buddy lists (kernel-model-5.12.md §4.4-4.8)."""

from __future__ import annotations

from .._errors import NotAnalysed
from .memcg import PageMemcgKmem
from .refs import PageCompound, PageTail, as_page, compound_order, vm_bug
from .state import (
    BUDDY_MAPCOUNT,
    NO_HEAD,
    PAGE_FLAGS_CHECK_AT_FREE,
    PG_HEAD,
    TAIL_MAPPING,
    Cpu,
    Gen,
    PagePtr,
    Where,
)

__all__ = [
    "__free_one_page",
    "check_order",
    "__free_pages_ok",
    "bad_page",
    "check_free_page",
    "drain_pcp",
    "free_pages_prepare",
    "free_tail_pages_check",
    "free_the_page",
    "free_unref_page",
]


def check_order(cx: Cpu, order: object, fn: str) -> int:
    if isinstance(order, int) and not isinstance(order, bool) and 0 <= order <= 10:
        return order
    raise NotAnalysed(f"{fn}() called with order {order!r} at {cx.loc[0]}:{cx.loc[1]}")


def bad_page(cx: Cpu, p: int, reason: str) -> None:
    """Report, then page_mapcount_reset (which removes PageBuddy); other fields untouched (§4.8)."""
    cx.state.bad_pages.append((p, reason))
    cx.wr(p, "mapcount", -1)
    cx.effect(f"bad_page(P{p}): {reason}")


def _bad_reason(cx: Cpu, p: int) -> str | None:
    """page_bad_reason with PAGE_FLAGS_CHECK_AT_FREE: the LAST matching reason wins (§4.8)."""
    reason = None
    if cx.rd(p, "mapcount") != -1:
        reason = "nonzero mapcount"
    if cx.rd(p, "mapping"):
        reason = "non-NULL mapping"
    if cx.rd(p, "refcount") != 0:
        reason = "nonzero _refcount"
    if cx.rd(p, "flags") & PAGE_FLAGS_CHECK_AT_FREE:  # PG_head is not in it
        reason = "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"
    if cx.rd(p, "memcg_data") & ~3:
        reason = "page still charged to cgroup"
    return reason


def check_free_page(cx: Cpu, page: object) -> Gen:
    """True (1) when the page is bad: bad_page was called (§4.8)."""
    p = as_page(cx, page, "check_free_page")
    cx.enter("check_free_page")
    yield
    reason = _bad_reason(cx, p)
    if reason is not None:
        cx.enter("bad_page")
        bad_page(cx, p, reason)
        cx.stack.pop()
    cx.stack.pop()
    return reason is not None


def free_tail_pages_check(cx: Cpu, head: int, p: int) -> int:
    """DEBUG_VM checks, then always mapping = NULL and compound_head = 0 (§4.8). Part of a step."""
    bad = 0
    if cx.state.options.debug_vm:
        reason = None
        if p - head == 1 and cx.rd(p, "compound_mapcount") != -1:
            reason = "nonzero compound_mapcount"
        elif p - head > 2 and cx.rd(p, "mapping") != TAIL_MAPPING:
            reason = "corrupted mapping in tail page"
        elif cx.rd(p, "compound_head") == NO_HEAD:
            reason = "PageTail not set"
        elif cx.rd(p, "compound_head") != head:
            reason = "compound_head not consistent"
        if reason is not None:
            bad_page(cx, p, reason)
            bad = 1
    if cx.rd(p, "mapping"):
        cx.wr(p, "mapping", 0)
    if cx.rd(p, "compound_head") != NO_HEAD:
        cx.wr(p, "compound_head", NO_HEAD)
    return bad


def free_pages_prepare(cx: Cpu, page: object, order: object, check_free: bool = True) -> Gen:
    """§4.7 in its order: tail loop, kmem uncharge, head check, bail out, clear head flags."""
    p = as_page(cx, page, "free_pages_prepare")
    n = check_order(cx, order, "free_pages_prepare")
    opts = cx.state.options
    cx.enter("free_pages_prepare")
    if opts.debug_vm:
        tail = yield from PageTail(cx, page, watch=False)
        if tail:
            vm_bug(cx, f"free_pages_prepare: P{p} is PageTail", "PageTail(page)")
    bad = 0
    if n > 0:
        compound = yield from PageCompound(cx, page, watch=False)
        if compound and opts.debug_vm:
            corder = yield from compound_order(cx, page, watch=False)
            if corder != n:
                vm_bug(cx, f"free_pages_prepare: compound_order(P{p}) {corder} != order {n}",
                       "compound && compound_order(page) != order")
        per_page = opts.tail_loop_per_page
        if not per_page:
            yield  # §8.6: the tail loop is one step of free_pages_prepare
        for i in range(1, 1 << n):
            if per_page:
                yield  # one step per subpage: its tail check, bad check and flag clearing
            if compound:
                bad += free_tail_pages_check(cx, p, p + i)
            reason = _bad_reason(cx, p + i)
            if reason is not None:
                cx.enter("check_free_page")
                bad_page(cx, p + i, reason)
                cx.stack.pop()
                bad += 1
            elif cx.rd(p + i, "flags"):
                cx.wr(p + i, "flags", 0)
    if opts.memcg and opts.memcg_kmem:
        kmem = yield from PageMemcgKmem(cx, page, watch=False)
        if kmem:
            yield from cx.call("__memcg_kmem_uncharge_page", page, n)
    if check_free:
        bad += yield from cx.call("check_free_page", page)
    if bad:
        cx.effect(f"free_pages_prepare(P{p}, {n}) = false: {bad} bad page(s), block abandoned")
        cx.stack.pop()
        return False
    yield
    flags = cx.rd(p, "flags")
    if flags:
        cx.wr(p, "flags", 0)
    if flags & PG_HEAD:
        cx.effect(f"P{p}: PG_head cleared")
    cx.stack.pop()
    return True


def _mark_lost(cx: Cpu, p: int, n: int) -> None:
    st = cx.state
    for i in range(p, min(p + (1 << n), st.nr_pages)):
        if cx.where(i) is Where.ALLOCATED:
            cx.move(i, Where.LOST)
    cx.effect(f"P{p}..P{p + (1 << n) - 1} never returned to the allocator" if n else f"P{p} never returned to the allocator")


def __free_one_page(cx: Cpu, page: object, order: object, *, from_pcp: bool = False) -> Gen:
    """Under the zone lock: merge with equal-order PageBuddy buddies, mark the block head (§4.6)."""
    p = as_page(cx, page, "__free_one_page")
    n = check_order(cx, order, "__free_one_page")
    st = cx.state
    cx.enter("__free_one_page")
    yield  # the zone lock: this whole block is one atomic step
    again = [i for i in range(p, min(p + (1 << n), st.nr_pages))
             if cx.where(i) not in (Where.ALLOCATED, Where.LOST) and not from_pcp]
    if again and not from_pcp:
        st.double_freed.update(again)
        cx.effect("freed again while free: " + ",".join(f"P{i}" for i in again))
    for i in range(p, min(p + (1 << n), st.nr_pages)):
        cx.move(i, Where.IN_FREE_BLOCK)
    top = st.nr_pages.bit_length() - 1  # the allocation's order: its buddies outside are in use
    while n < top:
        buddy = p ^ (1 << n)
        if cx.rd(buddy, "mapcount") != BUDDY_MAPCOUNT or cx.rd(buddy, "private") != n:
            break
        cx.wr(buddy, "mapcount", -1)
        cx.wr(buddy, "private", 0)
        cx.move(buddy, Where.IN_FREE_BLOCK)
        p = min(p, buddy)
        n += 1
    cx.wr(p, "mapcount", BUDDY_MAPCOUNT)
    cx.wr(p, "private", n)
    cx.move(p, Where.BUDDY)
    cx.effect(f"P{p}..P{p + (1 << n) - 1} to buddy (order {n})" if n else f"P{p} to buddy (order 0)")
    cx.stack.pop()
    return None


def __free_pages_ok(cx: Cpu, page: object, order: object, fpi_flags: object = 0) -> Gen:
    """free_pages_prepare(check_free=true); if it fails the block is lost, else free_one_page (§4.6).
    ``fpi_flags`` (FPI_NONE from every caller the model has) changes nothing the model holds."""
    p = as_page(cx, page, "__free_pages_ok")
    n = check_order(cx, order, "__free_pages_ok")
    cx.acted(f"__free_pages_ok(P{p}, {n})")
    cx.enter("__free_pages_ok")
    ok = yield from cx.call("free_pages_prepare", page, n, True)
    if ok:
        yield from __free_one_page(cx, page, n)
    else:
        _mark_lost(cx, p, n)
    cx.stack.pop()
    return None


def free_unref_page(cx: Cpu, page: object) -> Gen:
    """Order 0 to the pcp list; the head check is deferred to the drain unless DEBUG_VM (§4.5)."""
    p = as_page(cx, page, "free_unref_page")
    st = cx.state
    cx.acted(f"free_unref_page(P{p})")
    cx.enter("free_unref_page")
    ok = yield from cx.call("free_pages_prepare", page, 0, st.options.debug_vm)
    if not ok:
        _mark_lost(cx, p, 0)
    else:
        yield
        cx.wr(p, "private", 0)  # the pcp list links through the page
        was = cx.where(p)
        if was is not Where.ALLOCATED and was is not Where.LOST:
            st.double_freed.add(p)
            cx.effect(f"P{p} freed again while {was.value}")
        cx.move(p, Where.PCP)
        cx.pcp_list()
        st.pcp.append(p)
        cx.effect(f"P{p} to pcp list")
    cx.stack.pop()
    return None


def free_the_page(cx: Cpu, page: object, order: object) -> Gen:
    """Order 0 goes to the pcp list, higher orders to __free_pages_ok (§4.4)."""
    p = as_page(cx, page, "free_the_page")
    n = check_order(cx, order, "free_the_page")
    cx.acted(f"free_the_page(P{p}, {n})")
    cx.announce(f"free_the_page(P{p}, order {n})")
    cx.enter("free_the_page")
    if n == 0:
        yield from cx.call("free_unref_page", page)
    else:
        yield from cx.call("__free_pages_ok", page, n, 0)
    cx.stack.pop()
    return None


def drain_pcp(cx: Cpu) -> Gen:
    """free_pcppages_bulk: bulkfree_pcp_prepare's deferred head check (no DEBUG_VM), then buddy."""
    st = cx.state
    cx.enter("free_pcppages_bulk")
    while st.pcp:
        p = st.pcp.pop(0)
        if not st.options.debug_vm:
            bad = yield from check_free_page(cx, PagePtr(p))
            if bad:
                cx.move(p, Where.LOST)
                cx.effect(f"P{p} dropped from the pcp drain")
                continue
        yield from __free_one_page(cx, PagePtr(p), 0, from_pcp=True)
    cx.stack.pop()
    return None
