"""Page queries and reference-count primitives (kernel-model-5.12.md §2).

Each function is a generator: it yields once before each shared access, so the explorer can
run another thread in between; its return value is the C return value.
"""

from __future__ import annotations

from .._errors import NotAnalysed
from .state import NO_HEAD, PG_HEAD, Cpu, Gen, PagePtr

__all__ = [
    "PageCompound",
    "PageHead",
    "PageTail",
    "as_page",
    "compound_head",
    "compound_nr",
    "compound_order",
    "get_page",
    "get_page_unless_zero",
    "page_count",
    "put_page_testzero",
    "vm_bug",
]


def as_page(cx: Cpu, value: object, fn: str) -> int:
    """The frame index of a ``struct page *`` argument."""
    if isinstance(value, PagePtr):
        return value.index
    raise NotAnalysed(f"{fn}() called with {value!r}, not a struct page pointer, at {cx.loc[0]}:{cx.loc[1]}")


def vm_bug(cx: Cpu, what: str, condition: str) -> None:
    """A VM_BUG_ON_PAGE of the model that fires (only called when DEBUG_VM makes it live):
    the ``assertion`` property, with the kernel's condition and what the model saw."""
    text = f"VM_BUG_ON_PAGE({condition}) failed in {what}"
    cx.state.vm_bugs.append(text)
    cx.effect(text)


# ---------------------------------------------------------------- queries: one load each


def PageHead(cx: Cpu, page: object, *, watch: bool = True) -> Gen:  # noqa: N802 - kernel name
    """PG_head of this page, read live (§2)."""
    p = as_page(cx, page, "PageHead")
    yield
    head = bool(cx.rd(p, "flags") & PG_HEAD)
    if watch:
        cx.note_read(p, "PageHead")
    cx.effect(f"PageHead(P{p}) = {str(head).lower()}")
    return head


def PageTail(cx: Cpu, page: object, *, watch: bool = True) -> Gen:  # noqa: N802
    p = as_page(cx, page, "PageTail")
    yield
    tail = cx.rd(p, "compound_head") != NO_HEAD
    if watch:
        cx.note_read(p, "PageTail")
    cx.effect(f"PageTail(P{p}) = {str(tail).lower()}")
    return tail


def PageCompound(cx: Cpu, page: object, *, watch: bool = True) -> Gen:  # noqa: N802
    """PG_head set or a tail (§2): both words are read in one step."""
    p = as_page(cx, page, "PageCompound")
    yield
    comp = bool(cx.rd(p, "flags") & PG_HEAD) or cx.rd(p, "compound_head") != NO_HEAD
    if watch:
        cx.note_read(p, "PageCompound")
    cx.effect(f"PageCompound(P{p}) = {str(comp).lower()}")
    return comp


def compound_head(cx: Cpu, page: object, *, watch: bool = True) -> Gen:
    """The head of a tail page, else the page itself: one load of page->compound_head (§2)."""
    p = as_page(cx, page, "compound_head")
    yield
    head = cx.rd(p, "compound_head")
    if watch:
        cx.note_read(p, "compound_head")
    return PagePtr(p if head == NO_HEAD else head)


def _compound_meta(cx: Cpu, p: int, name: str, default: int, watch: bool) -> Gen:
    yield
    head = bool(cx.rd(p, "flags") & PG_HEAD)
    if watch:
        cx.note_read(p, name)
    if not head:
        return default
    yield
    return cx.rd(p + 1, name)


def compound_order(cx: Cpu, page: object, *, watch: bool = True) -> Gen:
    """0 unless PageHead (read live), else page[1].compound_order (§2)."""
    p = as_page(cx, page, "compound_order")
    order = yield from _compound_meta(cx, p, "compound_order", 0, watch)
    cx.effect(f"compound_order(P{p}) = {order}")
    return order


def compound_nr(cx: Cpu, page: object, *, watch: bool = True) -> Gen:
    """1 unless PageHead (read live), else page[1].compound_nr (§2)."""
    p = as_page(cx, page, "compound_nr")
    nr = yield from _compound_meta(cx, p, "compound_nr", 1, watch)
    cx.effect(f"compound_nr(P{p}) = {nr}")
    return nr


def page_count(cx: Cpu, page: object) -> Gen:
    p = as_page(cx, page, "page_count")
    yield
    cx.note_read(p, "page_count")
    return cx.rd(p, "refcount")


# ---------------------------------------------------------------- reference counts: atomic RMWs


def put_page_testzero(cx: Cpu, page: object) -> Gen:
    """Atomic decrement of page->_refcount; true iff it reached 0. No compound_head (§2)."""
    p = as_page(cx, page, "put_page_testzero")
    cx.enter("put_page_testzero")
    yield
    old = cx.rd(p, "refcount")
    if old == 0 and cx.state.options.debug_vm:
        vm_bug(cx, f"put_page_testzero: P{p} refcount already 0", "page_ref_count(page) == 0")
    cx.wr(p, "refcount", old - 1)
    cx.effect(f"P{p}.refcount {old}->{old - 1}")
    cx.stack.pop()
    return old - 1 == 0


def get_page_unless_zero(cx: Cpu, page: object) -> Gen:
    """Atomic add-unless-zero; true if a reference was taken (§2)."""
    p = as_page(cx, page, "get_page_unless_zero")
    cx.enter("get_page_unless_zero")
    yield
    old = cx.rd(p, "refcount")
    if old != 0:
        cx.wr(p, "refcount", old + 1)
        cx.effect(f"P{p}.refcount {old}->{old + 1}")
    else:
        cx.effect(f"P{p}.refcount is 0: no reference taken")
    cx.stack.pop()
    return old != 0


def get_page(cx: Cpu, page: object) -> Gen:
    """page = compound_head(page), then an atomic increment (§2)."""
    cx.enter("get_page")
    head = yield from compound_head(cx, page, watch=False)
    p = head.index
    yield
    old = cx.rd(p, "refcount")
    if old <= 0 and cx.state.options.debug_vm:
        vm_bug(cx, f"get_page: P{p} refcount {old}", "page_ref_zero_or_close_to_overflow(page)")
    cx.wr(p, "refcount", old + 1)
    cx.effect(f"P{p}.refcount {old}->{old + 1}")
    cx.stack.pop()
    return None
