"""The lines of a posted diff a problem concerns, quoted the way a reply quotes them.

A problem concerns the added lines its traces pass through and the lines its check findings
point at. Each is quoted with the added line of code right above it (the condition it sits
under), runs are joined, and the gaps between runs are marked ``[...]``, as reviewers snip.
Lines are quoted exactly as posted, tabs and all: code is never re-wrapped.
"""

from __future__ import annotations

from collections.abc import Collection

from unidiff.errors import UnidiffParseError
from unidiff.patch import Line, PatchSet

from ..model import AppliedRevision, Revision

__all__ = ["quote_lines"]

_SNIP = "[...]"


def quote_lines(revision: Revision, applied: AppliedRevision | None,
                wanted: Collection[tuple[str, int]]) -> list[str]:
    """``> ``-quoted excerpts of ``revision``'s diff holding the post-image lines ``wanted``
    ((path, line) in the tree the revision was applied to); [] when none is an added line."""
    try:
        patch = PatchSet(revision.diff)
    except UnidiffParseError:
        return []
    offsets = {(o.path, o.hunk): o.offset for o in (applied.offsets if applied else ())}
    runs: list[list[str]] = []
    for patched in patch:
        for number, hunk in enumerate(patched, 1):
            shift = offsets.get((patched.path, number), 0)
            lines = list(hunk)
            keep = {i for i, line in enumerate(lines)
                    if line.is_added and line.target_line_no is not None
                    and (patched.path, line.target_line_no + shift) in wanted}
            keep |= {i - 1 for i in keep if i > 0 and _code(lines[i - 1])}
            for i in sorted(keep):
                text = "> " + str(lines[i]).rstrip("\n")
                if runs and i - 1 in keep:
                    runs[-1].append(text)
                else:
                    runs.append([text])
    out: list[str] = []
    for run in runs:
        out += ([_SNIP] if out else []) + run
    return out


def _code(line: Line) -> bool:
    """An added line of code (not blank, not part of a comment)."""
    text = line.value.strip()
    return line.is_added and bool(text) and not text.startswith(("/*", "*", "//"))
