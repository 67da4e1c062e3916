"""Bit operations on a word (``test_bit(PG_head, &page->flags)``): one step each.

The atomic forms and the ``__`` non-atomic forms are the same single step (a non-atomic
read-modify-write on page->flags racing with another would be a lost update the model does not
show; the kernel serialises those by the page lock or by owning the page).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import NotAnalysed
from ..memory import FieldPtr, is_place
from ..model.state import Cpu, Gen

__all__ = ["BIT_PRIMITIVES"]

_PAGEFLAG_NAMES = ("locked", "referenced", "uptodate", "dirty", "lru", "active", "workingset",
                   "waiters", "error", "slab", "owner_priv_1", "arch_1", "reserved", "private",
                   "private_2", "writeback", "head", "mappedtodisk", "reclaim", "swapbacked",
                   "unevictable", "mlocked")


def _bit_name(place: Any, nr: int) -> str:
    if isinstance(place, FieldPtr) and place.field == "flags" and 0 <= nr < len(_PAGEFLAG_NAMES):
        return f"P{place.page} PG_{_PAGEFLAG_NAMES[nr]}"
    return f"{place.describe()} bit {nr}"


def _op(fn: str, change: Callable[[int, int], int] | None, returns_old: bool) -> Callable[..., Gen]:
    def prim(cx: Cpu, nr: Any, addr: object) -> Gen:
        if not is_place(addr) or not isinstance(nr, int):
            raise NotAnalysed(f"{fn}({nr!r}, {addr!r}): not a bit of a word the model holds "
                              f"at {cx.loc[0]}:{cx.loc[1]}")
        place: Any = addr
        if place.shared:
            yield
        word = place.load(cx)
        old = (word >> nr) & 1
        if change is not None:
            new = change(word, nr)
            if new != word:
                if place.shared:
                    cx.acted(f"{fn}({_bit_name(place, nr)})")
                place.store(cx, new)
                cx.effect(f"{_bit_name(place, nr)} {'set' if (new >> nr) & 1 else 'cleared'}")
        elif isinstance(place, FieldPtr):
            cx.note_read(place.page, f"test_bit({_bit_name(place, nr)})")
        return old if returns_old or change is None else None

    return prim


def _set(w: int, nr: int) -> int:
    return w | (1 << nr)


def _clear(w: int, nr: int) -> int:
    return w & ~(1 << nr)


def _change(w: int, nr: int) -> int:
    return w ^ (1 << nr)


BIT_PRIMITIVES: dict[str, Callable[..., Gen]] = {}
for _prefix in ("", "__"):
    BIT_PRIMITIVES[f"{_prefix}set_bit"] = _op("set_bit", _set, False)
    BIT_PRIMITIVES[f"{_prefix}clear_bit"] = _op("clear_bit", _clear, False)
    BIT_PRIMITIVES[f"{_prefix}change_bit"] = _op("change_bit", _change, False)
    BIT_PRIMITIVES[f"{_prefix}test_and_set_bit"] = _op("test_and_set_bit", _set, True)
    BIT_PRIMITIVES[f"{_prefix}test_and_clear_bit"] = _op("test_and_clear_bit", _clear, True)
    BIT_PRIMITIVES[f"{_prefix}test_and_change_bit"] = _op("test_and_change_bit", _change, True)
BIT_PRIMITIVES["test_bit"] = _op("test_bit", None, True)
BIT_PRIMITIVES["clear_bit_unlock"] = _op("clear_bit_unlock", _clear, False)
BIT_PRIMITIVES["__clear_bit_unlock"] = _op("clear_bit_unlock", _clear, False)
BIT_PRIMITIVES["test_and_set_bit_lock"] = _op("test_and_set_bit_lock", _set, True)
