"""The primitive layer the interpreted kernel code bottoms out in.

* :mod:`.atomic`: atomic_* / atomic_long_* / atomic64_* on any place;
* :mod:`.bitops`: test_bit, set_bit, ... on a word (page->flags);
* :mod:`.assertions`: VM_BUG_ON* / BUG_ON / WARN_ON* (compiled by the interpreter, which needs
  the condition's text; here the table of which are live);
* :mod:`.memmap`: page_to_pfn / pfn_to_page;
* :mod:`.noops`: locks, barriers, tracing, debug and statistics hooks, each with its reason.

READ_ONCE / WRITE_ONCE / smp_load_acquire / smp_store_release are compiled as plain loads and
stores (one step each). The model's functions (:data:`reviewer.sim.model.PRIMITIVES`) come
before this layer; the tree's definitions after it.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model.state import Gen
from .atomic import ATOMIC_PRIMITIVES
from .bitops import BIT_PRIMITIVES
from .memmap import MEMMAP_PRIMITIVES
from .noops import NOOP, noop_reason

__all__ = ["layer_primitive"]


def layer_primitive(name: str) -> Callable[..., Gen] | None:
    """The primitive for ``name``, or None when this layer does not provide it."""
    found = ATOMIC_PRIMITIVES.get(name) or BIT_PRIMITIVES.get(name) or MEMMAP_PRIMITIVES.get(name)
    if found is not None:
        return found
    return NOOP if noop_reason(name) is not None else None
