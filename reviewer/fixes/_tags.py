"""The ``Fixes:`` tags of a revision: the commit id and the title each names.

Both come from mail: the id is used only when it is plain hex, the title only as data (a
``--grep`` value, a lore search phrase), never as part of a command line's syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Trailer

__all__ = ["FixesTag", "StableHint", "fixes_tags", "stable_hints"]

_HEX = re.compile(r"^([0-9a-fA-F]{4,40})\b\s*(.*)$")
_QUOTED = re.compile(r'^\(\s*"(.*)"\s*\)$')
_STABLE = re.compile(r"stable@(?:vger\.)?kernel\.org.*#\s*v?(\d{1,2})\.(\d{1,3})(?:\.[\dx]+)?\s*\+?", re.I)


@dataclass(frozen=True, slots=True)
class FixesTag:
    value: str
    """The trailer's value as written."""
    sha: str
    """Lower-case hex, as abbreviated in the tag; empty when the tag starts with no hex."""
    title: str
    """The subject the tag names, without ``("...")``; may be empty."""


def _title(rest: str) -> str:
    quoted = _QUOTED.match(rest)
    text = quoted.group(1) if quoted else rest.strip().strip("()").strip().strip("\"'")
    return " ".join(text.split())


def fixes_tags(trailers: Iterable[Trailer]) -> tuple[FixesTag, ...]:
    """Every ``Fixes:`` trailer, in order, each once."""
    out: dict[str, FixesTag] = {}
    for trailer in trailers:
        if trailer.name.lower() != "fixes":
            continue
        value = " ".join(trailer.value.split())
        m = _HEX.match(value)
        tag = FixesTag(value, m.group(1).lower(), _title(m.group(2))) if m else FixesTag(value, "", _title(value))
        out.setdefault(value, tag)
    return tuple(out.values())


@dataclass(frozen=True, slots=True)
class StableHint:
    value: str
    """The Cc trailer's value as written (``<stable@vger.kernel.org> # 5.10+``)."""
    release: str
    """The oldest release the fix is meant for: ``5.10``."""


def stable_hints(trailers: Iterable[Trailer]) -> tuple[StableHint, ...]:
    """Every ``Cc: stable ... # X.Y+`` hint, in order, each once."""
    out: dict[str, StableHint] = {}
    for trailer in trailers:
        m = _STABLE.search(trailer.value) if trailer.name.lower() == "cc" else None
        if m:
            out.setdefault(f"{m.group(1)}.{m.group(2)}", StableHint(trailer.value, f"{m.group(1)}.{m.group(2)}"))
    return tuple(out.values())
