"""The kernel state one simulated execution mutates, and each thread's view of it.

Every read or write of shared state goes through a :class:`Cpu` accessor, which records the
access in the footprint of the current atomic step; the explorer interleaves threads only at
``yield`` points, so a primitive is a generator that yields right before each shared access
(kernel-model-5.12.md §8.6 lists which accesses are separate steps).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator, Hashable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeAlias

from .._errors import NotAnalysed
from ..explore import Access

__all__ = [
    "BUDDY_MAPCOUNT",
    "KMEM",
    "GFP_ACCOUNT",
    "GFP_COMP",
    "GFP_KERNEL",
    "MEMCG_M",
    "MEMCG_OBJECTS",
    "ROOT_MEMCG",
    "NO_HEAD",
    "PAGE_FLAGS_CHECK_AT_FREE",
    "PG_HEAD",
    "TAIL_MAPPING",
    "Cpu",
    "Gen",
    "KernelState",
    "Memcg",
    "ModelOptions",
    "PagePtr",
    "StaleRead",
    "Where",
]

Gen: TypeAlias = Generator[None, None, Any]
"""A primitive: yields once before every shared access, returns the C return value."""

MEMCG_DATA_OBJCGS = 1
KMEM = 2
"""MEMCG_DATA_KMEM, bit 1 of memcg_data (§1)."""
MEMCG_M = 0x1000
"""The pointer value of the one non-root memcg the scenarios charge to."""
ROOT_MEMCG = 0x2000
"""root_mem_cgroup: never charged, its css never counted (§3)."""
GFP_KERNEL = 0xCC0
GFP_COMP = 0x4000
GFP_ACCOUNT = 0x400000
"""5.12.9's ___GFP_* bits: GFP_KERNEL (reclaim, io, fs), __GFP_COMP, __GFP_ACCOUNT."""
TAIL_MAPPING = 0x400
BUDDY_MAPCOUNT = -129
"""PAGE_BUDDY_MAPCOUNT_VALUE: PageBuddy is a page type stored in _mapcount (§1)."""
NO_HEAD = -1


@dataclass(frozen=True, slots=True)
class PagePtr:
    """A ``struct page *``: the frame index within the simulated allocation (page + n is index + n)."""

    index: int

    def __add__(self, n: object) -> PagePtr:
        if isinstance(n, bool) or not isinstance(n, int):
            return NotImplemented
        return PagePtr(self.index + n)

    __radd__ = __add__

    def __sub__(self, other: object) -> PagePtr | int:
        if isinstance(other, PagePtr):
            return self.index - other.index
        if isinstance(other, int) and not isinstance(other, bool):
            return PagePtr(self.index - other)
        return NotImplemented

    def __str__(self) -> str:
        return f"P{self.index}"


class Where(enum.Enum):
    """Where the allocator has a page frame (§1 "Allocator location")."""

    ALLOCATED = "allocated"
    PCP = "pcp"
    BUDDY = "buddy head"
    IN_FREE_BLOCK = "inside a free block"
    LOST = "lost"


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Switches for the places where the spec is unsure or configuration-dependent."""

    debug_vm: bool = False
    """CONFIG_DEBUG_VM: order-0 head checks at free time (else at pcp drain), VM_BUG_ONs live (§4.5)."""
    memcg: bool = True
    """CONFIG_MEMCG."""
    memcg_kmem: bool = True
    """CONFIG_MEMCG_KMEM: memcg_kmem_enabled() in free_pages_prepare and at allocation."""
    tail_loop_per_page: bool = False
    """§8.6 lists free_pages_prepare's steps as tail loop, uncharge, head check, return: by default
    the whole tail loop is one atomic step. True splits it into one step per subpage (closer to
    the machine, many more interleavings: 8x the executions at order 3)."""
    split_hoists_head_load: bool = False
    """§5.6 unsure: whether the compiler hoists split_page_memcg's head->memcg_data load out of the
    loop. Default: the source's re-read on every iteration."""


@dataclass(slots=True)
class Memcg:
    name: str
    charged: int = 0
    """Pages charged to the memory counter (kmem moves with it)."""
    css: int = 0
    """css references beyond the base reference the cgroup itself holds."""


@dataclass(frozen=True, slots=True)
class StaleRead:
    """A thread read a page's state after another thread had freed that page."""

    page: int
    what: str
    reader: int
    freer: int
    file: str
    line: int


PAGE_FIELDS = ("refcount", "flags", "compound_head", "mapping", "mapcount", "private",
               "memcg_data", "compound_order", "compound_nr", "compound_mapcount", "compound_dtor",
               "index", "pincount")
PG_HEAD = 1 << 16
"""PG_head is bit 16 of page->flags in 5.12.9's enum pageflags (C code reaches it by that bit
through test_bit(PG_head, ...)); it is not in PAGE_FLAGS_CHECK_AT_FREE (§4.8)."""
PAGE_FLAGS_CHECK_AT_FREE = sum(1 << b for b in (4, 0, 13, 14, 15, 12, 9, 5, 20, 21))
"""lru, locked, private, private_2, writeback, reserved, slab, active, unevictable, mlocked
(page-flags.h:815-821, bit numbers of 5.12.9's enum pageflags with the default configuration)."""


@dataclass(slots=True)
class KernelState:
    """Page frames 0..nr-1 of one allocation, the frames around it, its memcg, and the
    allocator's lists.

    The allocation lies at the start of a naturally aligned block of ``frames`` pages (four times
    its size); the frames after it belong to other owners (allocated, one reference each, no
    flags), so buddy arithmetic (``page + (buddy_pfn - pfn)``, the buddy of the next order up
    that buddy_merge_likely looks at) reaches modelled frames. Allocated buddies are what the
    model's own __free_one_page assumes of the buddies outside the allocation (§4.6): no merge."""

    nr_pages: int
    options: ModelOptions
    frames: int = 0
    """Frames modelled (0..frames-1): the allocation's nr_pages, then its neighbours'."""
    fields: dict[str, list[int]] = field(default_factory=dict)
    where: list[Where] = field(default_factory=list)
    freed_by: list[int] = field(default_factory=list)
    memcgs: dict[int, Memcg] = field(default_factory=dict)
    pcp: list[int] = field(default_factory=list)
    double_freed: set[int] = field(default_factory=set)
    bad_pages: list[tuple[int, str]] = field(default_factory=list)
    vm_bugs: list[str] = field(default_factory=list)
    """Failed assertions (VM_BUG_ON*, BUG_ON, WARN_ON*), each as ``what failed at file:line``."""
    globals: dict[str, Any] = field(default_factory=dict)
    setup_called: frozenset[str] = frozenset()
    """Interpreted functions the allocation and the setup snippet entered."""
    cut: list[str] = field(default_factory=list)
    """Threads stopped by the iteration budget (a loop that never ends), with where."""
    """static locals of the interpreted code, by function and name (shared storage)."""
    stale_reads: list[tuple[StaleRead, str]] = field(default_factory=list)
    """(the read, what the reader then freed or wrote)."""

    @classmethod
    def empty(cls, nr_pages: int, options: ModelOptions, frames: int = 0) -> KernelState:
        """``frames``: the block modelled around the allocation (at least ``nr_pages``)."""
        n = max(frames, nr_pages)
        st = cls(nr_pages=nr_pages, options=options, frames=n)
        for name in PAGE_FIELDS:
            st.fields[name] = [0] * n
        st.fields["mapcount"] = [-1] * n
        st.fields["compound_head"] = [NO_HEAD] * n
        st.fields["compound_mapcount"] = [-1] * n
        st.fields["refcount"][nr_pages:] = [1] * (n - nr_pages)  # in use by their owners
        st.where = [Where.ALLOCATED] * n
        st.freed_by = [-1] * n
        st.memcgs[MEMCG_M] = Memcg("M")
        st.globals.update(_memcg_links())
        return st

    def copy(self) -> KernelState:
        """An independent copy (the state after allocation and setup is built once per cell)."""
        return KernelState(
            nr_pages=self.nr_pages, options=self.options, frames=self.frames,
            fields={k: list(v) for k, v in self.fields.items()},
            where=list(self.where), freed_by=list(self.freed_by),
            memcgs={k: Memcg(m.name, m.charged, m.css) for k, m in self.memcgs.items()},
            pcp=list(self.pcp), double_freed=set(self.double_freed), bad_pages=list(self.bad_pages),
            vm_bugs=list(self.vm_bugs), stale_reads=list(self.stale_reads), globals=dict(self.globals), cut=list(self.cut),
            setup_called=self.setup_called,
        )

    def summary(self) -> Hashable:
        """The final state, for counting distinct outcomes."""
        return (
            tuple(tuple(v) for v in self.fields.values()),
            tuple(self.where),
            tuple((m.charged, m.css) for m in self.memcgs.values()),
            tuple(sorted(self.double_freed)),
            tuple(sorted(self.bad_pages)),
        )


MEMCG_OBJECTS = {MEMCG_M: "memcg M", ROOT_MEMCG: "memcg root"}
"""The memory (by PathPtr root) of the model's two memcgs, for members it does not hold."""


def _memcg_links() -> dict[str, Any]:
    """The model's memcgs as the kernel links them (§1: one non-root memcg, M): the global
    root_mem_cgroup is the root, M's page counter's parent is the root's, the root's is NULL,
    and each memcg's per-node info (one node, 0) points back at its memcg (mz->memcg)."""
    from ..memory import PathPtr  # memory imports this module

    links: dict[str, Any] = {"root_mem_cgroup": ROOT_MEMCG}
    for ptr, obj in MEMCG_OBJECTS.items():
        node = PathPtr("*" + PathPtr(obj, ("nodeinfo", 0)).key())
        links[node.member("memcg").key()] = ptr
        parent = PathPtr(obj, ("memory", "parent")).key()
        links[parent] = PathPtr(MEMCG_OBJECTS[ROOT_MEMCG], ("memory",), "struct page_counter") \
            if ptr != ROOT_MEMCG else 0
    return links


class _Access(Access):
    """An Access whose hash is computed once: the model reuses each one for every step."""

    __slots__ = ("_hash",)
    _hash: int

    def __init__(self, location: Hashable, write: bool) -> None:
        super().__init__(location, write)
        object.__setattr__(self, "_hash", hash((location, write)))

    def __hash__(self) -> int:
        return self._hash


_PCP = _Access(("pcp",), True)


@lru_cache(maxsize=16)
def _footprints(nr_pages: int) -> tuple[dict[str, list[_Access]], dict[str, list[_Access]]]:
    """Access objects for every page field, built once per allocation size (immutable values)."""
    names = (*PAGE_FIELDS, "where")
    reads = {n: [_Access(("page", i, n), False) for i in range(nr_pages)] for n in names}
    writes = {n: [_Access(("page", i, n), True) for i in range(nr_pages)] for n in names}
    return reads, writes


class Cpu:
    """One simulated thread's handle on the shared state: records accesses, effects, location."""

    __slots__ = ("tid", "name", "state", "pending", "effects", "intro", "loc", "stack", "stale", "called",
                 "entered", "iterations", "objects", "dispatch", "layout", "_reads", "_writes", "_fields", "_nr",
                 "_counters")

    def __init__(self, tid: int, name: str, state: KernelState) -> None:
        self.tid = tid
        self.name = name
        self.state = state
        self.pending: list[Access] = []
        self.effects: list[str] = []
        self.intro: list[str] = []
        """Notes about the step to come (a call being entered), shown before its effects."""
        self.loc: tuple[str, int, str] = ("", 0, "")
        """(file, line, source) of the C line being executed."""
        self.stack: list[str] = []
        self.stale: StaleRead | None = None
        self.called: set[str] = set()
        """Interpreted C functions this thread entered."""
        self.entered: dict[str, None] = {}
        """Every function and primitive this thread entered, in order (for Violation.functions)."""
        self.dispatch: Callable[[str], Callable[[Cpu, list[Any]], Gen]] | None = None
        """How a model function calls another kernel function: through the simulation's program,
        so a revision's (or the tree's) definition replaces the model's; None: the model's own."""
        self.layout: Callable[[str], dict[str, str] | None] | None = None
        """struct name -> member types, from the tree (for memory the model does not lay out)."""
        self.iterations = 0
        self.objects = 0
        """Structs this thread put on its stack (each gets memory of its own)."""
        """Loop iterations this thread ran (the step budget bounds them: a loop that never
        touches shared state never yields, so the explorer's step budget alone cannot stop it)."""
        self._reads, self._writes = _footprints(state.frames)
        self._fields = state.fields
        self._nr = state.frames
        self._counters: dict[tuple[int, str], Access] = {}

    def call(self, name: str, *args: Any) -> Gen:
        """Call kernel function ``name`` from the model (see ``dispatch``)."""
        if self.dispatch is not None:
            return self.dispatch(name)(self, list(args))
        from . import PRIMITIVES  # the model package imports this module

        return PRIMITIVES[name](self, *args)

    def enter(self, name: str) -> None:
        self.stack.append(name)
        self.entered[name] = None

    # ---- pages
    def rd(self, page: int, name: str) -> int:
        if page < 0 or page >= self._nr:
            self._outside(page)
        self.pending.append(self._reads[name][page])
        return self._fields[name][page]

    def wr(self, page: int, name: str, value: int) -> None:
        if page < 0 or page >= self._nr:
            self._outside(page)
        self.pending.append(self._writes[name][page])
        self._fields[name][page] = value

    def _outside(self, page: int) -> None:
        nr = self.state.nr_pages
        where = f"the {nr}-page allocation" if nr == self._nr else \
            f"the {self._nr}-page aligned block modelled around the {nr}-page allocation"
        raise NotAnalysed(f"access to page frame {page} outside {where} at {self.loc[0]}:{self.loc[1]}")

    def global_load(self, name: str, init: Any = 0) -> Any:
        self.pending.append(_Access(("global", name), False))
        return self.state.globals.get(name, init)

    def global_store(self, name: str, value: Any) -> None:
        self.pending.append(_Access(("global", name), True))
        self.state.globals[name] = value

    def where(self, page: int) -> Where:
        """The allocator location of a page (a shared word: frees write it)."""
        self.pending.append(self._reads["where"][page])
        return self.state.where[page]

    def move(self, page: int, where: Where) -> None:
        self.pending.append(self._writes["where"][page])
        before = self.state.where[page]
        self.state.where[page] = where
        if before in (Where.ALLOCATED, Where.LOST) and where not in (Where.ALLOCATED, Where.LOST):
            self.state.freed_by[page] = self.tid

    def pcp_list(self) -> None:
        """The per-cpu free list the drain walks in order."""
        self.pending.append(_PCP)

    # ---- memcg
    def memcg_add(self, ptr: int, counter: str, delta: int) -> Memcg:
        """Add to a memcg counter (page_counter charge/uncharge, css get/put).

        These atomic adds commute and nothing in the model branches on the counters' values
        (only the final state is judged), so the footprint names a per-thread slice of the
        counter: the explorer then need not order two threads' adds, which prunes interleavings
        that can only reach the same final state.
        """
        acc = self._counters.get((ptr, counter))
        if acc is None:
            acc = self._counters[(ptr, counter)] = _Access(("memcg", ptr, counter, self.tid), True)
        self.pending.append(acc)
        m = self.state.memcgs[ptr]
        setattr(m, counter, getattr(m, counter) + delta)
        return m

    def effect(self, text: str) -> None:
        self.effects.append(text)

    def announce(self, text: str) -> None:
        """Describe the call the next step belongs to (e.g. ``free_the_page(P2, 1)``)."""
        self.intro.append(text)

    def note_read(self, page: int, what: str) -> None:
        """A read by the revision's code (or a query it calls): remember it if the page is freed."""
        st = self.state
        if 0 <= page < st.frames and self.where(page) is not Where.ALLOCATED:
            freer = st.freed_by[page]
            if freer != self.tid and self.stale is None:
                self.stale = StaleRead(page, what, self.tid, freer, self.loc[0], self.loc[1])

    def acted(self, what: str) -> None:
        """The thread frees or writes page state: a stale read before this decided it."""
        if self.stale is not None:
            self.state.stale_reads.append((self.stale, what))
            self.stale = None
