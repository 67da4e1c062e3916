"""C scalar types as the interpreter needs them: conversion on store, and unsigned wrap-around."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .memory import PageAddr, as_pointer
from .model.state import PagePtr

__all__ = ["CType", "Local", "ctype_of", "normaliser", "wrap"]


@dataclass(frozen=True, slots=True)
class CType:
    bits: int
    unsigned: bool


@dataclass(frozen=True, slots=True)
class Local:
    """A local variable (or parameter): its frame slot, conversion on store and C type."""

    slot: int
    norm: Callable[[Any], Any]
    ctype: CType | None
    type_text: str
    pointer: bool = False
    array: bool = False
    struct: bool = False
    """A struct on the stack: the slot holds its memory (a PathPtr), the name denotes that place."""


_FIXED_BITS = {"u8": 8, "s8": 8, "u16": 16, "s16": 16, "u32": 32, "s32": 32, "u64": 64, "s64": 64}
_UNSIGNED_NAMES = ("gfp_t", "size_t", "u8", "u16", "u32", "u64", "uintptr_t", "pgoff_t", "fpi_t")


def ctype_of(type_text: str, pointer: bool) -> CType | None:
    """The integer type a declaration names (None for pointers and bool)."""
    if pointer:
        return None
    words = type_text.replace("const", " ").replace("volatile", " ").replace("static", " ").split()
    if words in (["bool"], ["_Bool"]) or not words:
        return None
    last = words[-1]
    bits = _FIXED_BITS.get(last) or (64 if "long" in words or last in ("size_t", "uintptr_t", "pgoff_t")
                                     else 16 if "short" in words else 8 if "char" in words else 32)
    return CType(bits, "unsigned" in words or last in _UNSIGNED_NAMES)


def wrap(ctype: CType | None, v: Any) -> Any:
    if ctype is None or not isinstance(v, int):
        return v
    if ctype.unsigned:
        return v & ((1 << ctype.bits) - 1)
    half, full = 1 << (ctype.bits - 1), 1 << ctype.bits
    return ((v + half) % full) - half


def normaliser(type_text: str, pointer: bool) -> Callable[[Any], Any]:
    """C conversion on store into a local of this type (bool, fixed-width wrap-around)."""
    if pointer:
        return as_pointer
    words = type_text.replace("const", "").split()
    if words in (["bool"], ["_Bool"]):
        return _to_bool
    ctype = ctype_of(type_text, pointer)
    if ctype is None:
        return _same
    if ctype.bits == 64 and ctype.unsigned:
        return _to_ulong
    return lambda v: wrap(ctype, v)


def _same(v: Any) -> Any:
    return v


def _to_ulong(v: Any) -> Any:
    """unsigned long holds pointers too: a page pointer becomes its address."""
    if isinstance(v, PagePtr):
        return PageAddr(v.index)
    return v & 0xFFFFFFFFFFFFFFFF if isinstance(v, int) else v


def _to_bool(v: Any) -> int:
    if isinstance(v, bool):  # a model query's answer stays as it is
        return v
    return 1 if v else 0
