"""memcg charge and css reference primitives (kernel-model-5.12.md §3, §5)."""

from __future__ import annotations

from .._errors import NotAnalysed
from .refs import as_page, compound_nr
from .state import KMEM, MEMCG_M, ROOT_MEMCG, Cpu, Gen

__all__ = [
    "PageMemcgKmem",
    "__memcg_kmem_charge",
    "__memcg_kmem_uncharge",
    "get_mem_cgroup_from_current",
    "mem_cgroup_is_root",
    "__memcg_kmem_charge_page",
    "__memcg_kmem_uncharge_page",
    "css_get",
    "css_get_many",
    "css_put",
    "css_put_many",
    "mem_cgroup_uncharge",
    "page_memcg",
    "split_page_memcg",
]

_FLAG_BITS = 3


def _memcg_ptr(cx: Cpu, value: object, fn: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value in cx.state.memcgs:
        return value
    raise NotAnalysed(f"{fn}() called with {value!r}, not a known memcg, at {cx.loc[0]}:{cx.loc[1]}")


def page_memcg(cx: Cpu, page: object, *, watch: bool = True) -> Gen:
    """memcg_data with the two flag bits masked off; 0 means none (§1)."""
    p = as_page(cx, page, "page_memcg")
    yield
    data = cx.rd(p, "memcg_data")
    if watch:
        cx.note_read(p, "page_memcg")
    return data & ~_FLAG_BITS


def PageMemcgKmem(cx: Cpu, page: object, *, watch: bool = True) -> Gen:  # noqa: N802
    """Bit 1 of memcg_data, not a page flag (§1)."""
    p = as_page(cx, page, "PageMemcgKmem")
    yield
    data = cx.rd(p, "memcg_data")
    if watch:
        cx.note_read(p, "PageMemcgKmem")
    return bool(data & KMEM)


def _css_add(cx: Cpu, ptr: int, n: int, fn: str) -> Gen:
    cx.enter(fn)
    yield
    m = cx.memcg_add(ptr, "css", n)
    old = m.css - n
    cx.effect(f"css({m.name}) {old:+d}->{m.css:+d}")
    cx.stack.pop()


def css_get(cx: Cpu, memcg: object) -> Gen:
    yield from _css_add(cx, _memcg_ptr(cx, memcg, "css_get"), 1, "css_get")


def css_get_many(cx: Cpu, memcg: object, n: object) -> Gen:
    if not isinstance(n, int):
        raise NotAnalysed(f"css_get_many() count {n!r} at {cx.loc[0]}:{cx.loc[1]}")
    yield from _css_add(cx, _memcg_ptr(cx, memcg, "css_get_many"), n, "css_get_many")


def css_put(cx: Cpu, memcg: object) -> Gen:
    yield from _css_add(cx, _memcg_ptr(cx, memcg, "css_put"), -1, "css_put")


def css_put_many(cx: Cpu, memcg: object, n: object) -> Gen:
    if not isinstance(n, int):
        raise NotAnalysed(f"css_put_many() count {n!r} at {cx.loc[0]}:{cx.loc[1]}")
    yield from _css_add(cx, _memcg_ptr(cx, memcg, "css_put_many"), -n, "css_put_many")


def _charge(cx: Cpu, ptr: int, n: int) -> Gen:
    yield
    m = cx.memcg_add(ptr, "charged", n)
    old = m.charged - n
    cx.effect(f"{m.name} charged {old}->{m.charged}")


def mem_cgroup_uncharge(cx: Cpu, page: object) -> Gen:
    """§5.1-5.3: uncharge compound_nr(page) pages; css: batch get, page put, batch put."""
    p = as_page(cx, page, "mem_cgroup_uncharge")
    if not cx.state.options.memcg:
        return None
    cx.enter("mem_cgroup_uncharge")
    memcg = yield from page_memcg(cx, page, watch=False)
    if memcg:
        cx.enter("uncharge_page")
        memcg = yield from page_memcg(cx, page, watch=False)  # uncharge_page re-checks (§5.2.1)
        if memcg:
            yield from _css_add(cx, memcg, 1, "css_get")  # the batch's own reference
            nr = yield from compound_nr(cx, page, watch=False)
            yield
            cx.wr(p, "memcg_data", 0)
            cx.effect(f"P{p}.memcg_data = 0")
            yield from _css_add(cx, memcg, -1, "css_put")  # the page's reference
            cx.stack.pop()
            cx.enter("uncharge_batch")
            yield from _charge(cx, memcg, -nr)
            yield from _css_add(cx, memcg, -1, "css_put")  # pairs with the batch's css_get
        cx.stack.pop()
    cx.stack.pop()
    return None


def __memcg_kmem_uncharge_page(cx: Cpu, page: object, order: object) -> Gen:
    """§5.4: uncharge 1 << order (the order of this call), clear memcg_data, one css_put."""
    p = as_page(cx, page, "__memcg_kmem_uncharge_page")
    if not isinstance(order, int):
        raise NotAnalysed(f"__memcg_kmem_uncharge_page() order {order!r} at {cx.loc[0]}:{cx.loc[1]}")
    cx.enter("__memcg_kmem_uncharge_page")
    memcg = yield from page_memcg(cx, page, watch=False)
    if memcg:
        yield from _charge(cx, memcg, -(1 << order))
        yield
        cx.wr(p, "memcg_data", 0)
        cx.effect(f"P{p}.memcg_data = 0")
        yield from _css_add(cx, memcg, -1, "css_put")
    cx.stack.pop()
    return None


def __memcg_kmem_charge_page(cx: Cpu, page: object, order: int, memcg: int) -> Gen:
    """§3 step 3 for a task in ``memcg``: charge 1 << order, memcg_data on page[0], keep one css ref."""
    p = as_page(cx, page, "__memcg_kmem_charge_page")
    yield from _css_add(cx, memcg, 1, "css_tryget")
    yield from _charge(cx, memcg, 1 << order)
    yield
    cx.wr(p, "memcg_data", memcg | KMEM)
    cx.effect(f"P{p}.memcg_data = {cx.state.memcgs[memcg].name}|KMEM")
    return 0


def split_page_memcg(cx: Cpu, head: object, nr: object) -> Gen:
    """§5.6: read head's memcg once, copy head->memcg_data into each tail, css_get_many(nr - 1)."""
    h = as_page(cx, head, "split_page_memcg")
    if not isinstance(nr, int):
        raise NotAnalysed(f"split_page_memcg() count {nr!r} at {cx.loc[0]}:{cx.loc[1]}")
    if not cx.state.options.memcg:
        return None
    cx.enter("split_page_memcg")
    memcg = yield from page_memcg(cx, head, watch=False)
    cx.note_read(h, "split_page_memcg: head memcg_data")
    cx.effect(f"page_memcg(P{h}) = {_show(cx, memcg)}" + ("" if memcg else ": nothing to split"))
    if memcg:
        hoisted = cx.state.options.split_hoists_head_load
        data = 0
        if hoisted:
            yield
            data = cx.rd(h, "memcg_data")
        for i in range(1, nr):
            if not hoisted:
                yield
                data = cx.rd(h, "memcg_data")
                cx.note_read(h, "split_page_memcg: head memcg_data")
            yield
            cx.acted(f"copies memcg_data into P{h + i}")
            cx.wr(h + i, "memcg_data", data)
            cx.effect(f"P{h + i}.memcg_data = {_show(cx, data)}")
        yield from _css_add(cx, memcg, nr - 1, "css_get_many")
    cx.stack.pop()
    return None


def _show(cx: Cpu, data: int) -> str:
    if not data:
        return "0"
    m = cx.state.memcgs.get(data & ~_FLAG_BITS)
    name = m.name if m else hex(data & ~_FLAG_BITS)
    return name + ("|KMEM" if data & KMEM else "")


def get_mem_cgroup_from_current(cx: Cpu) -> Gen:
    """§3: the current task is in the scenarios' memcg M; a css reference is taken (css_tryget)."""
    cx.enter("get_mem_cgroup_from_current")
    yield from _css_add(cx, MEMCG_M, 1, "css_tryget")
    cx.stack.pop()
    return MEMCG_M


def mem_cgroup_is_root(cx: Cpu, memcg: object) -> Gen:
    """The model has one non-root memcg, M; the root is never charged (§1)."""
    return memcg == ROOT_MEMCG
    yield


def __memcg_kmem_charge(cx: Cpu, memcg: object, gfp: object, nr: object) -> Gen:
    """§3: try_charge of nr pages on memory (and kmem on v1), which the model lets succeed."""
    ptr = _memcg_ptr(cx, memcg, "__memcg_kmem_charge")
    if not isinstance(nr, int):
        raise NotAnalysed(f"__memcg_kmem_charge() count {nr!r} at {cx.loc[0]}:{cx.loc[1]}")
    cx.enter("__memcg_kmem_charge")
    yield from _charge(cx, ptr, nr)
    cx.stack.pop()
    return 0


def __memcg_kmem_uncharge(cx: Cpu, memcg: object, nr: object) -> Gen:
    """§5.4 step 3: kmem counter and (through the per-cpu stock) memory, nr pages."""
    ptr = _memcg_ptr(cx, memcg, "__memcg_kmem_uncharge")
    if not isinstance(nr, int):
        raise NotAnalysed(f"__memcg_kmem_uncharge() count {nr!r} at {cx.loc[0]}:{cx.loc[1]}")
    cx.enter("__memcg_kmem_uncharge")
    yield from _charge(cx, ptr, -nr)
    cx.stack.pop()
    return None
