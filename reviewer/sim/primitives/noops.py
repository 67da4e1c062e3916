"""Kernel calls that touch nothing the model holds: each is a no-op step-free call, listed here
with the reason, so that a reader can see what the simulator chose not to model.

Locks, irq and preempt toggles are no-ops: the scenarios' threads each own their reference,
and the model's own primitives (the zone lock of __free_one_page, the pcp list) are single
steps already. Code that relies on a spinlock for mutual exclusion *between the scenario's
threads* is therefore explored without that exclusion (it can only show more interleavings
than the kernel allows, never fewer).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..model.state import Cpu, Gen

__all__ = ["NOOP_PREFIXES", "NOOPS", "noop_reason"]

_GROUPS: dict[str, tuple[str, ...]] = {
    "barrier (steps are sequentially consistent)": (
        "barrier", "smp_mb", "smp_rmb", "smp_wmb", "mb", "rmb", "wmb", "smp_mb__before_atomic",
        "smp_mb__after_atomic", "smp_acquire__after_ctrl_dep", "cpu_relax"),
    "lock, irq or preempt toggle (not modelled)": (
        "spin_lock", "spin_unlock", "spin_lock_irq", "spin_unlock_irq", "spin_lock_irqsave",
        "spin_unlock_irqrestore", "spin_lock_bh", "spin_unlock_bh", "local_irq_save",
        "local_irq_restore", "local_irq_disable", "local_irq_enable", "preempt_disable",
        "preempt_enable", "rcu_read_lock", "rcu_read_unlock", "local_lock", "local_unlock",
        "local_lock_irqsave", "local_unlock_irqrestore", "lock_page_memcg", "unlock_page_memcg",
        "lockdep_assert_held", "might_sleep", "might_sleep_if", "cond_resched"),
    "tracing or debug hook (no modelled state)": (
        "set_page_owner", "reset_page_owner", "split_page_owner", "copy_page_owner",
        "arch_free_page", "arch_alloc_page", "kernel_poison_pages", "kernel_unpoison_pages",
        "debug_pagealloc_map_pages", "debug_pagealloc_unmap_pages", "debug_check_no_locks_freed",
        "debug_check_no_obj_freed", "kmemleak_alloc", "kmemleak_free", "page_table_check_free",
        "dump_page", "page_cpupid_reset_last", "page_kasan_tag_reset", "set_page_private_debug"),
    "prefetch hint (no effect on state)": ("prefetch", "prefetchw", "prefetch_range", "spin_lock_prefetch"),
    "statistics (no modelled state)": (
        "count_vm_event", "count_vm_events", "__count_vm_events", "__count_vm_event",
        "mod_node_page_state", "__mod_node_page_state", "mod_zone_page_state",
        "__mod_zone_page_state", "__mod_zone_freepage_state", "mod_lruvec_page_state",
        "__mod_lruvec_page_state", "inc_node_page_state", "dec_node_page_state",
        "__inc_node_page_state", "__dec_node_page_state", "mod_memcg_state", "__mod_memcg_state",
        "memcg_check_events", "count_memcg_events", "__count_memcg_events", "mod_memcg_page_state"),
}
NOOP_PREFIXES = ("trace_", "kasan_", "kmsan_", "kcsan_", "__kasan_", "__trace_")
"""Families: tracepoints and sanitizer hooks."""


def _build() -> dict[str, str]:
    out: dict[str, str] = {}
    for reason, names in _GROUPS.items():
        for name in names:
            out[name] = reason
    return out


NOOPS: dict[str, str] = _build()
"""name -> why it is a no-op."""


def noop_reason(name: str) -> str | None:
    if name in NOOPS:
        return NOOPS[name]
    if name.startswith(NOOP_PREFIXES):
        return "tracing or sanitizer hook (no modelled state)"
    return None


def noop(cx: Cpu, *args: Any) -> Gen:
    return None
    yield


NOOP: Callable[..., Gen] = noop
