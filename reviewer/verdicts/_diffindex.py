"""Index of a revision's posted diff and commit message, for finding quoted lines in it.

Quoted text in replies is damaged in ordinary ways: tabs turned to spaces, the leading space
of context lines lost, long lines re-wrapped, context trimmed. Lines are therefore compared
by their whitespace-collapsed text, and a quoted fragment of at least ``_MIN_FRAGMENT``
characters may match part of a longer line (re-wrapping).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Revision
from ..revisions import scan_diffs

__all__ = ["DiffLine", "RevisionIndex", "index_revision", "normalise"]

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
    """The content lines of the diff as the revisions stage reads it (same files, same hunks)."""
    lines: list[DiffLine] = []
    paths: list[str] = []
    for f in scan_diffs(diff.split("\n")):
        if f.path not in paths:
            paths.append(f.path)
        for number, hunk in enumerate(f.hunks, 1):
            pre, post = hunk.old_start, hunk.new_start
            for raw in hunk.lines:
                marker, text = raw[:1], normalise(raw[1:])
                if marker == "+":
                    lines.append(DiffLine(len(lines), "+", f.path, post, number, text))
                    post += 1
                elif marker == "-":
                    lines.append(DiffLine(len(lines), "-", f.path, pre, number, text))
                    pre += 1
                elif marker == " ":
                    lines.append(DiffLine(len(lines), " ", f.path, post, number, text))
                    pre += 1
                    post += 1
                # "\ No newline at end of file": not a line of either image
    return tuple(lines), tuple(paths)


def index_revision(revision: Revision) -> RevisionIndex:
    lines, paths = _parse_diff(revision.diff)
    trailer_text = " ".join(f"{t.name}: {t.value}" for t in revision.trailers)
    message = normalise(f"{revision.title} {revision.commit_message} {trailer_text}")
    by_text: dict[str, list[DiffLine]] = {}
    for dl in lines:
        by_text.setdefault(dl.text, []).append(dl)
    return RevisionIndex(revision, lines, message, paths, {k: tuple(v) for k, v in by_text.items()})
