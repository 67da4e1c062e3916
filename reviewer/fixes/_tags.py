"""The ``Fixes:`` tags of a revision: the commit id and the title each names.

Both come from mail: the id is used only when it is plain hex, the title only as data (a
``--grep`` value, a lore search phrase), never as part of a command line's syntax.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import Trailer

__all__ = ["FixesTag", "fixes_tags"]

_HEX = re.compile(r"^([0-9a-fA-F]{4,40})\b\s*(.*)$")
_QUOTED = re.compile(r'^\(\s*"(.*)"\s*\)$')


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
