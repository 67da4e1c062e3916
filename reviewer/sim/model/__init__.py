"""The kernel model: page frames, memcg, and the free-path primitives as step generators.

:data:`PRIMITIVES` maps a kernel function name to its model. A C function the model has is run
as this primitive even when the tree has its source; only the functions a revision changes are
always interpreted from the revision's C source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import free, memcg, put, refs
from .state import Cpu, Gen

__all__ = ["PRIMITIVES", "Primitive"]

Primitive = Callable[..., Gen]
"""``primitive(cpu, *c_arguments)``: a generator yielding before each shared access."""

_NAMES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (refs, ("PageHead", "PageTail", "PageCompound", "compound_head", "compound_order",
            "compound_nr", "page_count", "put_page_testzero", "get_page_unless_zero", "get_page")),
    (memcg, ("page_memcg", "PageMemcgKmem", "css_get", "css_get_many", "css_put", "css_put_many",
             "mem_cgroup_uncharge", "__memcg_kmem_uncharge_page", "split_page_memcg")),
    (free, ("free_the_page", "free_unref_page", "__free_pages_ok", "free_pages_prepare",
            "check_free_page")),
    (put, ("put_page", "__put_page", "__put_single_page", "__put_compound_page",
           "free_compound_page", "__free_pages", "split_page")),
)


def _table() -> Mapping[str, Primitive]:
    table: dict[str, Primitive] = {}
    for module, names in _NAMES:
        for name in names:
            table[name] = getattr(module, name)
    table["page_cache_get_speculative"] = refs.get_page_unless_zero  # §2: add-unless-zero on SMP
    table["__free_page"] = _free_page
    return MappingProxyType(table)


def _free_page(cx: Cpu, page: object) -> Gen:
    return put.__free_pages(cx, page, 0)


PRIMITIVES: Mapping[str, Primitive] = _table()
