"""put_page and the destructor paths, __free_pages as in v5.12, split_page, allocation (§2-§5)."""

from __future__ import annotations

from .free import check_order
from .memcg import __memcg_kmem_charge_page
from .refs import (
    PageCompound,
    as_page,
    compound_head,
    compound_order,
    vm_bug,
)
from .state import MEMCG_M, NO_HEAD, PG_HEAD, TAIL_MAPPING, Cpu, Gen, KernelState, PagePtr

__all__ = [
    "__free_pages",
    "__put_compound_page",
    "__put_page",
    "__put_single_page",
    "allocate",
    "free_compound_page",
    "put_page",
    "set_page_refcounted",
    "split_page",
]


def put_page(cx: Cpu, page: object) -> Gen:
    """page = compound_head(page); if put_page_testzero(page): __put_page(page) (§4.9)."""
    cx.enter("put_page")
    head = yield from compound_head(cx, page, watch=False)
    if (yield from cx.call("put_page_testzero", head)):
        yield from cx.call("__put_page", head)
    cx.stack.pop()
    return None


def __put_page(cx: Cpu, page: object) -> Gen:
    """PageCompound, read now, picks the compound or the single-page path (§4.10)."""
    cx.enter("__put_page")
    compound = yield from PageCompound(cx, page, watch=False)
    if compound:
        yield from cx.call("__put_compound_page", page)
    else:
        yield from cx.call("__put_single_page", page)
    cx.stack.pop()
    return None


def __put_single_page(cx: Cpu, page: object) -> Gen:
    """Uncharge one page (compound_nr is 1), then free it at order 0 whatever it was (§4.10)."""
    cx.enter("__put_single_page")
    cx.acted(f"__put_single_page(P{as_page(cx, page, '__put_single_page')})")
    yield from cx.call("mem_cgroup_uncharge", page)
    yield from cx.call("free_unref_page", page)
    cx.stack.pop()
    return None


def __put_compound_page(cx: Cpu, page: object) -> Gen:
    """destroy_compound_page: page[1].compound_dtor is COMPOUND_PAGE_DTOR in the model (§4.10)."""
    cx.enter("__put_compound_page")
    yield from cx.call("free_compound_page", page)
    cx.stack.pop()
    return None


def free_compound_page(cx: Cpu, page: object) -> Gen:
    """mem_cgroup_uncharge while PG_head is set, then __free_pages_ok(compound_order) (§4.10)."""
    cx.enter("free_compound_page")
    cx.acted(f"free_compound_page(P{as_page(cx, page, 'free_compound_page')})")
    yield from cx.call("mem_cgroup_uncharge", page)
    order = yield from compound_order(cx, page, watch=False)
    yield from cx.call("__free_pages_ok", page, order, 0)
    cx.stack.pop()
    return None


def __free_pages(cx: Cpu, page: object, order: object) -> Gen:
    """The v5.12 body (§4.1), used when a revision does not change __free_pages."""
    cx.enter("__free_pages")
    if (yield from cx.call("put_page_testzero", page)):
        yield from cx.call("free_the_page", page, order)
    elif not (yield from cx.call("PageHead", page)):
        n = check_order(cx, order, "__free_pages")
        while n > 0:
            n -= 1
            yield from cx.call("free_the_page", as_ptr(cx, page) + (1 << n), n)
    cx.stack.pop()
    return None


def as_ptr(cx: Cpu, page: object) -> PagePtr:
    return PagePtr(as_page(cx, page, "__free_pages"))


def set_page_refcounted(cx: Cpu, page: object) -> Gen:
    """§2: DEBUG_VM asserts not-tail and count 0, then the count is set to 1."""
    p = as_page(cx, page, "set_page_refcounted")
    cx.enter("set_page_refcounted")
    yield
    old = cx.rd(p, "refcount")
    if cx.state.options.debug_vm and (old != 0 or cx.rd(p, "compound_head") != NO_HEAD):
        vm_bug(cx, f"set_page_refcounted: P{p} refcount {old} or a tail",
               "PageTail(page) || page_ref_count(page)")
    cx.wr(p, "refcount", 1)
    cx.effect(f"P{p}.refcount = 1")
    cx.stack.pop()
    return None


def split_page(cx: Cpu, page: object, order: object) -> Gen:
    """§5.7: refcount 1 on pages 1..2^order-1, then split_page_memcg."""
    p = as_page(cx, page, "split_page")
    n = check_order(cx, order, "split_page")
    cx.enter("split_page")
    for i in range(1, 1 << n):
        yield
        cx.wr(p + i, "refcount", 1)
        cx.effect(f"P{p + i}.refcount = 1")
    yield from cx.call("split_page_memcg", page, 1 << n)
    cx.stack.pop()
    return None


def allocate(st: KernelState, order: int, *, compound: bool, kmem: bool) -> None:
    """§3: the block as __alloc_pages_nodemask leaves it (refcount 1 on page 0 only)."""
    f = st.fields
    f["refcount"][0] = 1
    if compound and order > 0:
        f["flags"][0] |= PG_HEAD
        for i in range(1, 1 << order):
            f["compound_head"][i] = 0
            f["mapping"][i] = TAIL_MAPPING
        f["compound_order"][1] = order
        f["compound_nr"][1] = 1 << order
    else:
        assert all(h == NO_HEAD for h in f["compound_head"])
    if kmem and st.options.memcg and st.options.memcg_kmem:
        cx = Cpu(-1, "alloc", st)
        for _ in __memcg_kmem_charge_page(cx, PagePtr(0), order, MEMCG_M):
            pass
