"""The memory model's page <-> pfn conversions (asm-generic/memory_model.h, not in every tree):
in the simulator a pfn is the frame's index in the allocation plus a fixed base, so buddy
arithmetic (``pfn ^ (1 << order)``) stays inside the allocation."""

from __future__ import annotations

from collections.abc import Callable

from .._errors import NotAnalysed
from ..model.state import Cpu, Gen, PagePtr

__all__ = ["MEMMAP_PRIMITIVES", "PFN_BASE"]

PFN_BASE = 0x10000
"""The first page's pfn: aligned far above any order the scenarios allocate."""


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


MEMMAP_PRIMITIVES: dict[str, Callable[..., Gen]] = {
    "page_to_pfn": _page_to_pfn, "__page_to_pfn": _page_to_pfn,
    "pfn_to_page": _pfn_to_page, "__pfn_to_page": _pfn_to_page,
}
