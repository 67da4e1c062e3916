"""Index of a revision's posted diff and commit message, for finding quoted lines in it.

Quoted text in replies is damaged in ordinary ways: tabs turned to spaces, the leading space
of context lines lost, long lines re-wrapped, context trimmed. Lines are therefore compared
by their whitespace-collapsed text, and a quoted fragment of at least ``_MIN_FRAGMENT``
characters may match part of a longer line (re-wrapping).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Revision

__all__ = ["DiffLine", "RevisionIndex", "index_revision", "normalise"]

_HUNK_RE = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_MIN_FRAGMENT = 20
"""Shorter fragments are too common ("}", "return;") to identify a line on their own."""
_MIN_PROSE = 12


def normalise(text: str) -> str:
    """Whitespace-collapsed text, the form quoted lines are compared in."""
    return " ".join(text.split())


@dataclass(frozen=True, slots=True)
class DiffLine:
    """One ``+``, ``-`` or context line of a posted diff."""

    index: int
    """0-based position among the diff's content lines (order of the posting)."""
    marker: str
    path: str
    line: int
    """Post-image line for ``+`` and context lines, pre-image line for ``-`` lines."""
    hunk: int
    """1-based hunk number within ``path``."""
    text: str
    """Whitespace-collapsed content without the marker."""


@dataclass(frozen=True, slots=True)
class RevisionIndex:
    revision: Revision
    lines: tuple[DiffLine, ...]
    message_text: str
    """Commit message and trailers, whitespace-collapsed into one string."""
    paths: tuple[str, ...]
    by_text: dict[str, tuple[DiffLine, ...]]

    def diff_matches(self, marker: str, text: str, after: int = -1) -> list[DiffLine]:
        """Diff lines after position ``after`` whose text is ``text``; when none is, the lines
        containing it (a quoted fragment of a re-wrapped long line)."""
        if not text:
            return []
        exact = [dl for dl in self.by_text.get(text, ()) if dl.index > after and _marker_fits(marker, dl)]
        if exact or len(text) < _MIN_FRAGMENT:
            return exact
        return [dl for dl in self.lines if dl.index > after and _marker_fits(marker, dl) and text in dl.text]

    def in_message(self, text: str) -> bool:
        return len(text) >= _MIN_PROSE and text in self.message_text


def _marker_fits(marker: str, dl: DiffLine) -> bool:
    """A quoted ``+``/``-`` line matches only that kind; a context line (or one that lost its
    leading space) matches any."""
    return marker not in ("+", "-") or dl.marker == marker


def _parse_diff(diff: str) -> tuple[tuple[DiffLine, ...], tuple[str, ...]]:
    lines: list[DiffLine] = []
    paths: list[str] = []
    path = ""
    pre = post = 0
    hunk = 0
    in_hunk = False
    for raw in diff.split("\n"):
        if raw.startswith("+++ "):
            target = raw[4:].split("\t")[0].strip()
            path = target[2:] if target.startswith("b/") else target
            if path not in paths:
                paths.append(path)
            hunk = 0
            in_hunk = False
            continue
        if raw.startswith(("--- ", "diff --git", "index ")) and not in_hunk:
            continue
        m = _HUNK_RE.match(raw)
        if m:
            pre, post = int(m.group(1)), int(m.group(2))
            hunk += 1
            in_hunk = True
            continue
        if not in_hunk:
            continue
        if raw.startswith("diff --git"):
            in_hunk = False
            continue
        marker = raw[:1]
        text = normalise(raw[1:])
        if marker == "+":
            lines.append(DiffLine(len(lines), "+", path, post, hunk, text))
            post += 1
        elif marker == "-":
            lines.append(DiffLine(len(lines), "-", path, pre, hunk, text))
            pre += 1
        elif marker in (" ", ""):
            lines.append(DiffLine(len(lines), " ", path, post, hunk, text))
            pre += 1
            post += 1
        # "\ No newline at end of file" and anything else: not a line of either image
    return tuple(lines), tuple(paths)


def index_revision(revision: Revision) -> RevisionIndex:
    lines, paths = _parse_diff(revision.diff)
    trailer_text = " ".join(f"{t.name}: {t.value}" for t in revision.trailers)
    message = normalise(f"{revision.title} {revision.commit_message} {trailer_text}")
    by_text: dict[str, list[DiffLine]] = {}
    for dl in lines:
        by_text.setdefault(dl.text, []).append(dl)
    return RevisionIndex(revision, lines, message, paths, {k: tuple(v) for k, v in by_text.items()})
