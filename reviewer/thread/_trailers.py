"""Trailer lines (``Acked-by:``, ``Fixes:``, ``Cc: stable``, ``Link:`` ...) in a message's own text.

Only NEW segments are read: a quoted ``Signed-off-by`` is the quoted author's, not the replier's.
A trailer must start its line; the name is any ``Word-by`` or one of Fixes, Cc, Link, Closes.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Sequence

from ..model import Address, Segment, SegmentKind, Trailer

__all__ = ["find_trailers", "is_trailer_line"]

_TRAILER_RE = re.compile(
    r"^(?P<name>[A-Za-z]+(?:-[A-Za-z]+)*-by|Fixes|Cc|Link|Closes):[ \t]*(?P<value>\S.*?)\s*$",
    re.IGNORECASE,
)
_CANONICAL = {
    name.lower(): name
    for name in (
        "Acked-by",
        "Reviewed-by",
        "Tested-by",
        "Nacked-by",
        "Signed-off-by",
        "Reported-by",
        "Suggested-by",
        "Co-developed-by",
        "Reviewed-and-tested-by",
        "Fixes",
        "Cc",
        "Link",
        "Closes",
    )
}
_NO_PERSON = {"Fixes", "Link", "Closes"}


def canonical_name(name: str) -> str:
    """``ACKED-BY`` -> ``Acked-by``; unknown ``*-by`` names get the same shape."""
    return _CANONICAL.get(name.lower(), name[:1].upper() + name[1:].lower())


def is_trailer_line(line: str) -> bool:
    return _TRAILER_RE.match(line) is not None


def _person(value: str) -> Address | None:
    """The person a trailer value names: ``Name <addr>`` or a bare address; a bare name has no address."""
    text = value.split("#", 1)[0].strip()
    if "@" not in text:
        return Address(text, "") if text else None
    name, addr = email.utils.parseaddr(text)
    if "@" not in addr:
        return None
    return Address(name.strip(), addr.strip())


def _comment(lines: Sequence[str], after: int, end: int) -> str:
    """The paragraph right under a trailer (one blank line allowed) when it continues the trailer.

    It qualifies when it starts in lower case or with ``(``: "to the split_page_memcg()
    addition etc, but ..." continues "Acked-by: ..."; "Thanks!" or a new sentence does not.
    """
    i = after
    if i < end and not lines[i].strip():
        i += 1
    if i >= end or not lines[i].strip():
        return ""
    first = lines[i].lstrip()
    if not (first[:1].islower() or first.startswith("(")) or is_trailer_line(lines[i]):
        return ""
    para: list[str] = []
    while i < end and lines[i].strip() and not is_trailer_line(lines[i]):
        para.append(lines[i].strip())
        i += 1
    return "\n".join(para)


def find_trailers(body: str, segments: Sequence[Segment]) -> tuple[Trailer, ...]:
    """Every trailer line in the NEW segments of ``body``, in body order."""
    lines = body.split("\n")
    found: list[Trailer] = []
    for seg in segments:
        if seg.kind is not SegmentKind.NEW:
            continue
        end = seg.first_line + seg.line_count
        for i in range(seg.first_line, end):
            m = _TRAILER_RE.match(lines[i])
            if m is None:
                continue
            name = canonical_name(m.group("name"))
            value = m.group("value")
            found.append(
                Trailer(
                    name=name,
                    value=value,
                    line=i,
                    person=None if name in _NO_PERSON else _person(value),
                    comment=_comment(lines, i + 1, end) if name.endswith("-by") else "",
                )
            )
    return tuple(found)
