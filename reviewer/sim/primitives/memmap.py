"""The memory model's page <-> pfn conversions (asm-generic/memory_model.h, not in every tree):
in the simulator a pfn is the frame's index in the allocation plus a fixed base, so buddy
arithmetic (``pfn ^ (1 << order)``) stays inside the allocation. Per-cpu accessors read the one
copy the model has."""

from __future__ import annotations

from collections.abc import Callable

from .._errors import NotAnalysed
from ..memory import PathPtr
from ..model.state import Cpu, Gen, PagePtr

__all__ = ["MEMMAP_PRIMITIVES", "PFN_BASE"]

PFN_BASE = 0x10000
"""The first page's pfn: aligned far above any order the scenarios allocate."""
DIRECT_MAP = 0xFFFF888000000000
"""x86-64's PAGE_OFFSET (the direct map of all physical memory)."""


def _page_to_pfn(cx: Cpu, page: object) -> Gen:
    if not isinstance(page, PagePtr):
        raise NotAnalysed(f"page_to_pfn({page!r}) at {cx.loc[0]}:{cx.loc[1]}")
    return PFN_BASE + page.index
    yield


def _pfn_to_page(cx: Cpu, pfn: object) -> Gen:
    if not isinstance(pfn, int):
        raise NotAnalysed(f"pfn_to_page({pfn!r}) at {cx.loc[0]}:{cx.loc[1]}")
    return PagePtr(pfn - PFN_BASE)
    yield


def _page_address(cx: Cpu, page: object) -> Gen:
    """The page's kernel virtual address (the direct map): only ever handed to debug hooks."""
    pfn = yield from _page_to_pfn(cx, page)
    return DIRECT_MAP + (pfn << 12)


def _same(cx: Cpu, ptr: object, *cpu: object) -> Gen:
    """this_cpu_ptr(p) and friends: the model has one view of per-cpu data (the scenario's
    threads are its CPUs, and no modelled state is per cpu)."""
    return ptr
    yield


def _cpu_zero(cx: Cpu) -> Gen:
    return 0
    yield


def _key_off(cx: Cpu, key: object) -> Gen:
    """A static key: every key the model meets is off (the boot defaults of init_on_free,
    deferred_pages, page_alloc_shuffle, ...); memcg_kmem_enabled() is modelled, not read here."""
    return 0
    yield


def _page_contents(cx: Cpu, dst: object, *rest: object) -> Gen:
    """memcpy/clear_page on a page's contents (a direct-map address): the model does not hold
    page contents. Anything else is memory it does, which it will not guess about."""
    if not isinstance(dst, int) or dst < DIRECT_MAP:
        raise NotAnalysed(f"memcpy of {dst!r}, not page contents, at {cx.loc[0]}:{cx.loc[1]}")
    return dst
    yield


def _memset(cx: Cpu, dst: object, c: object, n: object) -> Gen:
    """memset(p, 0, sizeof(*p)) of memory the model lays out by path: every member reads 0 after
    it (pointers NULL too); page contents are not held. Other fills are not guessed at."""
    if isinstance(dst, int) and dst >= DIRECT_MAP:
        return dst
    if not isinstance(dst, PathPtr) or c != 0:
        raise NotAnalysed(f"memset({dst!r}, {c!r}, ...) at {cx.loc[0]}:{cx.loc[1]}")
    yield
    dst.zero(cx)
    return dst


def _current(cx: Cpu) -> Gen:
    """The running task: memory the model does not lay out (its comm, flags, ...)."""
    return PathPtr("current")
    yield


MEMMAP_PRIMITIVES: dict[str, Callable[..., Gen]] = {
    "get_current": _current,
    "memset": _memset, "memcpy": _page_contents, "clear_page": _page_contents,
    "copy_page": _page_contents,
    "static_key_enabled": _key_off, "static_branch_likely": _key_off, "static_branch_unlikely": _key_off,
    "static_key_false": _key_off, "static_key_true": _key_off,
    "page_to_pfn": _page_to_pfn, "__page_to_pfn": _page_to_pfn,
    "pfn_to_page": _pfn_to_page, "__pfn_to_page": _pfn_to_page,
    "this_cpu_ptr": _same, "raw_cpu_ptr": _same, "per_cpu_ptr": _same, "this_cpu_read": _same,
    "__this_cpu_read": _same, "raw_cpu_read": _same, "get_cpu_ptr": _same,
    "page_address": _page_address, "lowmem_page_address": _page_address, "page_to_virt": _page_address,
    "kmap_atomic": _page_address, "kmap": _page_address, "kunmap_atomic": _same, "kunmap": _same,
    "smp_processor_id": _cpu_zero, "raw_smp_processor_id": _cpu_zero, "get_cpu": _cpu_zero,
}
