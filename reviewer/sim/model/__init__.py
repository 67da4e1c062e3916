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
from .state import MEMCG_M, Cpu, Gen

__all__ = ["PRIMITIVES", "Primitive"]

Primitive = Callable[..., Gen]
"""``primitive(cpu, *c_arguments)``: a generator yielding before each shared access."""

_NAMES: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (refs, ("PageHead", "PageTail", "PageCompound", "compound_head", "compound_order",
            "compound_nr", "page_count", "put_page_testzero", "get_page_unless_zero", "get_page")),
    (memcg, ("page_memcg", "PageMemcgKmem", "css_get", "css_get_many", "css_put", "css_put_many",
             "mem_cgroup_uncharge", "__memcg_kmem_uncharge_page", "split_page_memcg",
             "get_mem_cgroup_from_current", "mem_cgroup_is_root", "__memcg_kmem_charge",
             "__memcg_kmem_uncharge")),
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
    table["mem_cgroup_disabled"] = _mem_cgroup_disabled
    table["memcg_kmem_enabled"] = _memcg_kmem_enabled
    table["destroy_compound_page"] = put.free_compound_page  # page[1].compound_dtor: COMPOUND_PAGE_DTOR (§4.10)
    table["set_page_refcounted"] = put.set_page_refcounted
    table["__memcg_kmem_charge_page"] = _kmem_charge_page
    return MappingProxyType(table)


def _kmem_charge_page(cx: Cpu, page: object, gfp: object, order: object) -> Gen:
    """The C signature (page, gfp, order): the current task is in the scenarios' memcg M (§3)."""
    return memcg.__memcg_kmem_charge_page(cx, page, free.check_order(cx, order, "__memcg_kmem_charge_page"),
                                          MEMCG_M)


def _mem_cgroup_disabled(cx: Cpu) -> Gen:
    """A boot-time static key: no shared step."""
    return not cx.state.options.memcg
    yield


def _memcg_kmem_enabled(cx: Cpu) -> Gen:
    """A static key set when the first kmem-accounted cgroup comes online: CONFIG_MEMCG_KMEM here."""
    return cx.state.options.memcg and cx.state.options.memcg_kmem
    yield


PRIMITIVES: Mapping[str, Primitive] = _table()
