"""What C values the interpreter handles besides plain integers: pointers into the model's state.

A ``struct page *`` is a :class:`~.model.state.PagePtr` (arithmetic in units of pages). The
other pointers are places a C program can read and write through:

* :class:`FieldPtr`: ``&page->_refcount``, ``&page[1].compound_mapcount``: a modelled page
  field, shared between threads (every load and store is one step);
* :class:`SlotPtr`: ``&local``; :class:`ElemPtr`: an element of a local array;
* :class:`GlobalPtr`: a ``static`` local (storage in the execution's state, shared).

A page pointer converted to an integer (``(unsigned long)head + 1``, as ``set_compound_head``
encodes a tail) is a :class:`PageAddr`: its low bits take part in arithmetic, and converting
it back to a pointer gives the page again. The page-field table maps the kernel's field names
onto the model's words, with the encodings the kernel uses for them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._errors import NotAnalysed
from .model.state import NO_HEAD, Cpu, PagePtr

__all__ = [
    "ElemPtr",
    "FieldPtr",
    "FuncRef",
    "GlobalPtr",
    "PAGE_FIELDS",
    "PageAddr",
    "PathPtr",
    "SlotPtr",
    "as_pointer",
    "is_place",
    "page_field",
    "page_field_size",
    "UnknownSize",
    "sizeof_type",
    "sizeof_value",
]


@dataclass(frozen=True, slots=True)
class PageField:
    """A struct page member the model holds: its model word and the kernel's encoding of it."""

    model: str
    atomic: bool = False
    """atomic_t: C reaches the value as ``.counter`` or through atomic_*()."""
    load: Callable[[int], Any] | None = None
    store: Callable[[Any], int] | None = None


def _tail_load(head: int) -> Any:
    """page->compound_head holds the head's address + 1 on a tail, 0 otherwise."""
    return 0 if head == NO_HEAD else PageAddr(head, 1)


def _tail_store(value: Any) -> int:
    if isinstance(value, PageAddr) and value.low == 1:
        return value.page
    if value == 0:
        return NO_HEAD
    raise NotAnalysed(f"page->compound_head set to {value!r}, neither 0 nor a head page + 1")


def _u32(v: int) -> int:
    return v & 0xFFFFFFFF


def _s32(v: Any) -> int:
    n = int(v) & 0xFFFFFFFF
    return n - (1 << 32) if n & 0x80000000 else n


PAGE_FIELDS: dict[str, PageField] = {
    "_refcount": PageField("refcount", atomic=True),
    "_mapcount": PageField("mapcount", atomic=True),
    "page_type": PageField("mapcount", load=_u32, store=_s32),  # shares _mapcount's word (§1)
    "flags": PageField("flags"),
    "compound_head": PageField("compound_head", load=_tail_load, store=_tail_store),
    "mapping": PageField("mapping"),
    "private": PageField("private"),
    "index": PageField("index"),
    "memcg_data": PageField("memcg_data"),
    "compound_dtor": PageField("compound_dtor"),
    "compound_order": PageField("compound_order"),
    "compound_nr": PageField("compound_nr"),
    "compound_mapcount": PageField("compound_mapcount", atomic=True),
    "hpage_pinned_refcount": PageField("pincount", atomic=True),
}
"""struct page members (include/linux/mm_types.h) the model has a word for."""


_FIELD_SIZES = {"_refcount": 4, "_mapcount": 4, "page_type": 4, "compound_dtor": 1, "compound_order": 1,
                "compound_nr": 4, "compound_mapcount": 4, "hpage_pinned_refcount": 4}
"""Bytes of the struct page members the model holds; the others are unsigned longs or pointers."""


def page_field_size(name: str) -> int:
    return _FIELD_SIZES.get(name, 8)


def page_field(name: str) -> PageField | None:
    return PAGE_FIELDS.get(name)


@dataclass(frozen=True, slots=True)
class PageAddr:
    """``(unsigned long)page + low``: an integer view of a page pointer."""

    page: int
    low: int = 0

    def _int(self, other: object) -> int | None:
        return other if isinstance(other, int) and not isinstance(other, bool) else None

    def __add__(self, other: object) -> PageAddr:
        n = self._int(other)
        if n is None:
            return NotImplemented
        return PageAddr(self.page, self.low + n)

    __radd__ = __add__

    def __sub__(self, other: object) -> PageAddr:
        n = self._int(other)
        if n is None:
            return NotImplemented
        return PageAddr(self.page, self.low - n)

    def __and__(self, other: object) -> Any:
        n = self._int(other)
        if n is None:
            return NotImplemented
        if 0 <= n < 64:  # the low bits of a 64-byte aligned struct page address
            return self.low & n
        if n < 0 and ~n < 64:
            return PageAddr(self.page, self.low & n)
        raise NotAnalysed(f"page address masked with {n:#x}")

    __rand__ = __and__

    def __or__(self, other: object) -> PageAddr:
        n = self._int(other)
        if n is None or not 0 <= n < 64:
            return NotImplemented
        return PageAddr(self.page, self.low | n)

    __ror__ = __or__

    def __bool__(self) -> bool:
        return True

    def pointer(self) -> PagePtr:
        if self.low:
            raise NotAnalysed(f"page address P{self.page}+{self.low} used as a struct page pointer")
        return PagePtr(self.page)


class _Place(ABC):
    """A pointer that can be dereferenced: ``load``/``store``; ``shared`` ones are one step each."""

    __slots__ = ()
    shared = False

    @abstractmethod
    def load(self, cx: Cpu) -> Any:
        """The value it points at (a step of ``cx`` when ``shared``)."""

    @abstractmethod
    def store(self, cx: Cpu, value: Any) -> None:
        """Write ``value`` where it points."""

    @abstractmethod
    def describe(self) -> str:
        """Where it points, for traces and reasons."""

    def __bool__(self) -> bool:
        return True


@dataclass(frozen=True, slots=True, eq=True)
class FieldPtr(_Place):
    page: int
    field: str
    """The kernel's member name (a key of PAGE_FIELDS)."""

    shared = True

    def load(self, cx: Cpu) -> Any:
        spec = PAGE_FIELDS[self.field]
        value = cx.rd(self.page, spec.model)
        return spec.load(value) if spec.load else value

    def store(self, cx: Cpu, value: Any) -> None:
        spec = PAGE_FIELDS[self.field]
        if spec.store is not None:
            value = spec.store(value)
        elif not isinstance(value, int):
            raise NotAnalysed(f"P{self.page}.{self.field} set to {value!r}, not an integer")
        cx.wr(self.page, spec.model, value)

    def describe(self) -> str:
        return f"P{self.page}.{self.field}"


class SlotPtr(_Place):
    """``&local``: the frame and slot (frames are per call, so identity is the frame object)."""

    __slots__ = ("frame", "slot", "name")

    def __init__(self, frame: list[Any], slot: int, name: str) -> None:
        self.frame, self.slot, self.name = frame, slot, name

    def load(self, cx: Cpu) -> Any:
        return self.frame[self.slot]

    def store(self, cx: Cpu, value: Any) -> None:
        self.frame[self.slot] = value

    def describe(self) -> str:
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SlotPtr) and other.frame is self.frame and other.slot == self.slot

    def __hash__(self) -> int:
        return hash((id(self.frame), self.slot))


class ElemPtr(_Place):
    """A pointer into a local array (a Python list owned by one frame)."""

    __slots__ = ("array", "index", "name")

    def __init__(self, array: list[Any], index: int, name: str) -> None:
        self.array, self.index, self.name = array, index, name

    def _check(self) -> None:
        if not 0 <= self.index < len(self.array):
            raise NotAnalysed(f"{self.name}[{self.index}] outside its {len(self.array)} elements")

    def load(self, cx: Cpu) -> Any:
        self._check()
        return self.array[self.index]

    def store(self, cx: Cpu, value: Any) -> None:
        self._check()
        self.array[self.index] = value

    def describe(self) -> str:
        return f"{self.name}[{self.index}]"

    def __add__(self, n: object) -> ElemPtr:
        if not isinstance(n, int):
            return NotImplemented
        return ElemPtr(self.array, self.index + n, self.name)

    def __sub__(self, other: object) -> Any:
        if isinstance(other, ElemPtr) and other.array is self.array:
            return self.index - other.index
        if isinstance(other, int):
            return ElemPtr(self.array, self.index - other, self.name)
        return NotImplemented

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ElemPtr) and other.array is self.array and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self.array), self.index))


@dataclass(frozen=True, slots=True, eq=True)
class GlobalPtr(_Place):
    """A static local: its storage lives in the execution's state, so replays start fresh."""

    name: str
    init: Any = 0
    shared = True

    def load(self, cx: Cpu) -> Any:
        return cx.global_load(self.name, self.init)

    def store(self, cx: Cpu, value: Any) -> None:
        cx.global_store(self.name, value)

    def describe(self) -> str:
        return self.name


_UNSET = object()


@dataclass(frozen=True, slots=True, eq=True)
class PathPtr(_Place):
    """A place the model does not hold word by word: a member of a global object (a zone, a
    per-cpu list head) or a struct page member outside PAGE_FIELDS (``page->lru``). Each member
    is a shared location of its own. Unions are not laid out: ``lru.next`` does not alias
    ``compound_head`` here (a page on a list is never a tail).

    Memory nobody wrote reads as an initialised kernel object would, as far as the type (from
    the tree's struct definitions) tells: a number is 0, a pointer points at an object of its
    type (a distinct one per location: kernel objects are set up before use), and a list head's
    ``next``/``prev`` point at the head itself (an empty list). An array member (``T x[]``)
    read as a value is, as in C, the address of its element 0 (``release_pages(pvec->pages, n)``)."""

    root: str
    """A global's name, ``P<i>`` for a page, ``*<place>`` for the object a pointer there points at."""
    path: tuple[str | int, ...] = ()
    ctype: str = field(default="", compare=False)
    """The C type of what is at this place (``struct zone``, ``struct list_head *``), "" unknown."""
    inner: PathPtr | None = None
    """For an object known only as the container of a place (``container_of(head, T, lru)`` on
    an empty list's head): that place, reached again as its member ``via``."""
    via: str = ""
    shared = True

    def key(self) -> str:
        root = self.root if self.inner is None else f"container_of({self.inner.key()}, {self.via})"
        return root + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in self.path)

    def load(self, cx: Cpu) -> Any:
        key = self.key()
        value = cx.global_load(key, _UNSET)
        if value is not _UNSET:
            return value
        if self.ctype.endswith("[]"):
            return self.element(0)  # an array read as a value decays to its first element's address
        if any(cx.global_load(prefix + "#zeroed", 0) for prefix in self._prefixes()):
            return 0  # inside an object memset to 0
        if self.ctype == "struct list_head *" and self.path and self.path[-1] in ("next", "prev"):
            return PathPtr(self.root, self.path[:-1], "struct list_head", self.inner, self.via)
        if self.ctype.endswith(" *") and self.ctype not in ("void *", "char *"):
            return PathPtr("*" + self.key(), (), self.ctype[:-2])
        return 0

    def store(self, cx: Cpu, value: Any) -> None:
        cx.global_store(self.key(), value)

    def zero(self, cx: Cpu) -> None:
        """memset(this, 0, sizeof): members written so far read 0, unwritten ones too."""
        key = self.key()
        for name in [k for k in cx.state.globals if k.startswith(key) and not k.endswith("#zeroed")]:
            cx.global_store(name, 0)
        cx.global_store(key + "#zeroed", 1)

    def _prefixes(self) -> list[str]:
        out = [PathPtr(self.root, (), "", self.inner, self.via).key()]
        for i in range(1, len(self.path)):
            out.append(PathPtr(self.root, self.path[:i], "", self.inner, self.via).key())
        return out

    def describe(self) -> str:
        return self.key()

    @property
    def struct(self) -> str:
        """The struct this place holds (its name), or ""."""
        words = self.ctype.split()
        return words[1] if len(words) == 2 and words[0] == "struct" else ""

    def member(self, name: str, ctype: str = "") -> PathPtr:
        if self.inner is not None and not self.path and name == self.via:
            return self.inner
        return PathPtr(self.root, (*self.path, name), ctype, self.inner, self.via)

    def element(self, i: int) -> PathPtr:
        ctype = self.ctype[:-2] if self.ctype.endswith("[]") else ""
        return PathPtr(self.root, (*self.path, i), ctype, self.inner, self.via)

    def container(self, member: str, ctype: str = "") -> Any:
        """container_of: the object whose ``member`` this is (a page pointer for a page's member).

        A list head not reached as that member (an empty list's head, which list_for_each_entry
        converts before it compares ``&pos->member`` with the head) gives the container C's
        container_of would compute: an object whose ``member`` is this head again, its other
        members memory of their own. Other places are not guessed at: an object a pointer read
        from unwritten memory points at has no container the model could vouch for (a memcg's
        ``memory.parent`` would make an endless hierarchy)."""
        if (not self.path or self.path[-1] != member) and self.ctype == "struct list_head":
            return PathPtr("", (), ctype, self, member)
        if not self.path or self.path[-1] != member:
            raise NotAnalysed(f"container_of({self.key()}, ..., {member}): not that member")
        if len(self.path) == 1 and self.root.startswith("P") and self.root[1:].isdigit():
            return PagePtr(int(self.root[1:]))
        return PathPtr(self.root, self.path[:-1], ctype, self.inner, self.via)

    def __add__(self, n: object) -> PathPtr:
        if not isinstance(n, int) or not self.path or not isinstance(self.path[-1], int):
            return NotImplemented
        return PathPtr(self.root, (*self.path[:-1], self.path[-1] + n), self.ctype, self.inner, self.via)

    def __sub__(self, other: object) -> Any:
        if isinstance(other, int):
            return self + (-other)
        if isinstance(other, PathPtr) and other.root == self.root and other.path[:-1] == self.path[:-1]:
            a, b = self.path[-1], other.path[-1]
            if isinstance(a, int) and isinstance(b, int):
                return a - b
        return NotImplemented


def is_place(value: object) -> bool:
    return isinstance(value, _Place)


def as_pointer(value: object) -> object:
    """The pointer a value converts to on ``(T *)value``."""
    if isinstance(value, PageAddr):
        return value.pointer()
    return value


_SIZES = {"char": 1, "bool": 1, "_Bool": 1, "short": 2, "int": 4, "long": 8, "float": 4, "double": 8,
          "u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4, "u64": 8, "s64": 8,
          "size_t": 8, "gfp_t": 4, "atomic_t": 4, "atomic_long_t": 8, "pgoff_t": 8}
_STRUCT_SIZES = {"page": 64, "list_head": 16}
"""struct page is 64 bytes on x86-64 (mm_types.h asserts it with the default configuration)."""


@dataclass(frozen=True, slots=True)
class FuncRef:
    """A function used as a value (a callback such as pagevec_lru_move_fn's move_fn)."""

    name: str


class UnknownSize:
    """sizeof a struct the model does not lay out: fine as memset's length (the whole object),
    not as a number (arithmetic on it fails, and the interpreter says so)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"sizeof({self.text})"


def sizeof_value(text: str) -> int | UnknownSize:
    words = text.split()
    if words[:1] in (["struct"], ["union"]) and not text.rstrip().endswith("*"):
        try:
            return sizeof_type(text)
        except NotAnalysed:
            return UnknownSize(text)
    return sizeof_type(text)


def sizeof_type(text: str) -> int:
    """sizeof of a type name the model knows; NotAnalysed otherwise."""
    words = [w for w in text.replace("const", " ").replace("volatile", " ").split() if w]
    if not words:
        raise NotAnalysed("sizeof of an empty type")
    if text.rstrip().endswith("*"):
        return 8
    if words[0] in ("struct", "union") and len(words) > 1 and words[1] in _STRUCT_SIZES:
        return _STRUCT_SIZES[words[1]]
    if "long" in words and words.count("long") >= 1 and "double" not in words:
        return 8
    for w in reversed(words):
        if w in _SIZES:
            return _SIZES[w]
        if w not in ("unsigned", "signed"):
            break
    if words in (["unsigned"], ["signed"]):
        return 4
    raise NotAnalysed(f"sizeof({text}): a type the model does not lay out")
