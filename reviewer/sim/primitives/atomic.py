"""atomic_* / atomic_long_* / atomic64_* on any place (a page field such as ``&page->_refcount``,
a local, a static): each operation is one atomic step, read-modify-writes included.

Every ordering variant (``_relaxed``, ``_acquire``, ``_release``) is the same sequentially
consistent step: the explorer interleaves whole steps, it does not model weak memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import NotAnalysed
from ..memory import FieldPtr, is_place
from ..model.state import Cpu, Gen

__all__ = ["ATOMIC_PRIMITIVES"]

Primitive = Callable[..., Gen]


def _place(cx: Cpu, v: object, fn: str) -> Any:
    if not is_place(v):
        raise NotAnalysed(f"{fn}() on {v!r}, not a place the model holds, at {cx.loc[0]}:{cx.loc[1]}")
    return v


def _rmw(cx: Cpu, v: object, fn: str, update: Callable[[int], int | None]) -> Gen:
    """yield, load, store update(old) unless None; returns old through StopIteration."""
    place = _place(cx, v, fn)
    cx.enter(fn)
    if place.shared:
        yield
    old = place.load(cx)
    new = update(old)
    if new is not None:
        if place.shared:
            cx.acted(f"{fn}({place.describe()})")
        place.store(cx, new)
        cx.effect(f"{_name(place)} {old}->{new}")
    cx.stack.pop()
    return old


def _name(place: Any) -> str:
    if isinstance(place, FieldPtr) and place.field == "_refcount":
        return f"P{place.page}.refcount"
    return str(place.describe())


def _read(cx: Cpu, v: object) -> Gen:
    place = _place(cx, v, "atomic_read")
    if place.shared:
        yield
    value = place.load(cx)
    if isinstance(place, FieldPtr):
        cx.note_read(place.page, f"atomic_read({place.describe()})")
    return value


def _set(cx: Cpu, v: object, i: Any) -> Gen:
    yield from _rmw(cx, v, "atomic_set", lambda old: i)
    return None


def _add(delta_sign: int, result: str, fn: str) -> Primitive:
    """atomic_{add,sub}{,_return,_and_test,_negative}, fetch_ variants; (i, v) argument order."""
    def prim(cx: Cpu, i: Any, v: object) -> Gen:
        old = yield from _rmw(cx, v, fn, lambda o: o + delta_sign * i)
        return _result(result, old, old + delta_sign * i)

    return prim


def _step(delta: int, result: str, fn: str) -> Primitive:
    """atomic_{inc,dec}{,_return,_and_test}, fetch_ variants; (v) argument."""
    def prim(cx: Cpu, v: object) -> Gen:
        old = yield from _rmw(cx, v, fn, lambda o: o + delta)
        return _result(result, old, old + delta)

    return prim


def _result(kind: str, old: int, new: int) -> Any:
    return {"": None, "return": new, "fetch": old, "test": int(new == 0), "negative": int(new < 0)}[kind]


def _cmpxchg(cx: Cpu, v: object, old: Any, new: Any) -> Gen:
    seen = yield from _rmw(cx, v, "atomic_cmpxchg", lambda cur: new if cur == old else None)
    return seen


def _try_cmpxchg(cx: Cpu, v: object, oldp: object, new: Any) -> Gen:
    expected_place = _place(cx, oldp, "atomic_try_cmpxchg")
    expected = expected_place.load(cx)
    seen = yield from _rmw(cx, v, "atomic_try_cmpxchg", lambda cur: new if cur == expected else None)
    if seen != expected:
        expected_place.store(cx, seen)
    return int(seen == expected)


def _xchg(cx: Cpu, v: object, new: Any) -> Gen:
    return (yield from _rmw(cx, v, "atomic_xchg", lambda cur: new))


def _add_unless(cx: Cpu, v: object, a: Any, u: Any) -> Gen:
    old = yield from _rmw(cx, v, "atomic_add_unless", lambda cur: None if cur == u else cur + a)
    return int(old != u)


def _fetch_add_unless(cx: Cpu, v: object, a: Any, u: Any) -> Gen:
    return (yield from _rmw(cx, v, "atomic_fetch_add_unless", lambda cur: None if cur == u else cur + a))


def _inc_not_zero(cx: Cpu, v: object) -> Gen:
    old = yield from _rmw(cx, v, "atomic_inc_not_zero", lambda cur: None if cur == 0 else cur + 1)
    return int(old != 0)


def _table() -> dict[str, Primitive]:
    base: dict[str, Primitive] = {
        "read": _read, "set": _set, "cmpxchg": _cmpxchg, "try_cmpxchg": _try_cmpxchg, "xchg": _xchg,
        "add_unless": _add_unless, "fetch_add_unless": _fetch_add_unless, "inc_not_zero": _inc_not_zero,
    }
    for sign, op in ((1, "add"), (-1, "sub")):
        base[op] = _add(sign, "", f"atomic_{op}")
        base[f"{op}_return"] = _add(sign, "return", f"atomic_{op}_return")
        base[f"fetch_{op}"] = _add(sign, "fetch", f"atomic_fetch_{op}")
        base[f"{op}_and_test"] = _add(sign, "test", f"atomic_{op}_and_test")
    base["add_negative"] = _add(1, "negative", "atomic_add_negative")
    for delta, op in ((1, "inc"), (-1, "dec")):
        base[op] = _step(delta, "", f"atomic_{op}")
        base[f"{op}_return"] = _step(delta, "return", f"atomic_{op}_return")
        base[f"fetch_{op}"] = _step(delta, "fetch", f"atomic_fetch_{op}")
        base[f"{op}_and_test"] = _step(delta, "test", f"atomic_{op}_and_test")
    out: dict[str, Primitive] = {}
    for family in ("atomic", "atomic_long", "atomic64"):
        for op, prim in base.items():
            for order in ("", "_relaxed", "_acquire", "_release"):
                out[f"{family}_{op}{order}"] = prim
    for order in ("", "_relaxed", "_acquire", "_release", "_local"):  # xchg()/cmpxchg() on any word
        out[f"xchg{order}"] = _xchg
        out[f"cmpxchg{order}"] = _cmpxchg
        out[f"try_cmpxchg{order}"] = _try_cmpxchg
    return out


ATOMIC_PRIMITIVES: dict[str, Primitive] = _table()
