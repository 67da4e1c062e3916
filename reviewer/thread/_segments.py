"""A body cut into runs of one kind: NEW text, QUOTED text (with depth), DIFF, SIGNATURE.

Rules, line by line:

* A line starting with ``>`` is quoted; its depth is the number of ``>`` markers, one optional
  space after each (so ``> >``, ``>>`` and ``>  `` all work). A ``>`` glued to ``From `` is
  the mboxrd escape of a ``From `` line, not a marker (``> >From f6f0...`` is depth 1).
* An unquoted diff starts at ``diff --git``, at ``--- x`` + ``+++ y`` + ``@@``, or at a bare
  ``+++ b/...`` followed by ``@@`` (a sketch pasted into a reply). It continues through file
  headers and hunks, counting each hunk's lines from its ``@@ -a,b +c,d @@`` header; a blank
  line inside a hunk is a context line whose trailing space a mailer stripped, if the diff goes on
  after it.
* ``-- `` starts a signature that runs to the end, or to quoted text a mailer put after it, or to
  a patch attached after it;
  ``--``/``-- `` followed by a git version (``2.30.1``) is the two-line tail of
  ``git format-patch`` and only those two lines.
* Blank lines belong to no run unless the runs on both sides are of the same kind (and depth):
  segments are the text, and the blank gaps between different kinds are nobody's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from ..model import Segment, SegmentKind

__all__ = ["QUOTE_SEARCH_LIMIT", "attribute_quotes", "normalise", "own_lines", "quote_depth", "segment_body"]

_PSEUDO_FROM_RE = re.compile(r"^From [0-9a-f]{40} Mon Sep 17 00:00:00 2001$")
_GIT_VERSION_RE = re.compile(r"^\d+\.\d+(\.\d+)*([.-]\S+)?\s*$")
_HUNK_RE = re.compile(r"^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
_FILE_HEADER_PREFIXES = (
    "diff --git ",
    "index ",
    "new file mode ",
    "deleted file mode ",
    "old mode ",
    "new mode ",
    "similarity index ",
    "dissimilarity index ",
    "rename from ",
    "rename to ",
    "copy from ",
    "copy to ",
    "Binary files ",
)

_Label = tuple[SegmentKind, int] | None
"""(kind, depth) of a line; None for a blank line (joins the run around it when both sides agree)."""


def quote_depth(line: str) -> tuple[int, str]:
    """(number of ``>`` markers, the text after them)."""
    depth = 0
    i = 0
    while i < len(line) and line[i] == ">":
        if line.startswith("From ", i + 1):
            # mboxrd-escaped "From " inside a quote: the escape is no marker, drop it.
            return (depth, line[i + 1 :]) if depth else (0, line)
        depth += 1
        i += 1
        if i < len(line) and line[i] == " ":
            i += 1
    return depth, line[i:]


def _is_sig_tail(lines: Sequence[str], i: int) -> bool:
    """``-- `` / ``--`` followed by a git version line (``git format-patch`` trailer)."""
    return (
        lines[i].rstrip() == "--"
        and i + 1 < len(lines)
        and _GIT_VERSION_RE.match(lines[i + 1]) is not None
    )


def _starts_diff(lines: Sequence[str], i: int) -> bool:
    line = lines[i]
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    if line.startswith("diff --git "):
        return True
    third = lines[i + 2] if i + 2 < len(lines) else ""
    if line.startswith("--- ") and nxt.startswith("+++ ") and third.startswith("@@ "):
        return True
    return line.startswith("+++ ") and nxt.startswith("@@ ")


def _is_file_header(line: str, nxt: str) -> bool:
    return (
        line.startswith((*_FILE_HEADER_PREFIXES, "\\", "+++ "))
        or (line.startswith("--- ") and nxt.startswith("+++ "))
    )


def _is_body_line(line: str) -> bool:
    return line[:1] in (" ", "+", "-", "\\") or line.startswith("@@ ")


def _diff_end(lines: Sequence[str], start: int) -> int:
    """Index one past the last line of the diff starting at ``start``."""
    i = start
    old_left = new_left = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _is_sig_tail(lines, i) or (line == "-- " and not _is_body_line(nxt)):
            break
        if old_left > 0 or new_left > 0:
            if line == "" or line.startswith(" "):
                if line == "" and not _is_body_line(nxt):
                    break  # a blank line that ends the mail's diff, not a stripped context line
                old_left, new_left = old_left - 1, new_left - 1
            elif line.startswith("-"):
                old_left -= 1
            elif line.startswith("+"):
                new_left -= 1
            elif not line.startswith("\\"):
                if not line.startswith("@@ "):
                    break
                old_left, new_left = _counts(_HUNK_RE.match(line))
            i += 1
            continue
        if line.startswith("@@ "):
            old_left, new_left = _counts(_HUNK_RE.match(line))
        elif _is_file_header(line, nxt):
            pass
        elif line.rstrip() == "--":
            break  # a signature separator right after the last hunk
        elif line[:1] in ("+", "-", " "):
            pass  # hand-edited hunks often hold more lines than their header says
        else:
            break
        i += 1
    return i


def _counts(m: re.Match[str] | None) -> tuple[int, int]:
    if m is None:
        return 0, 0
    return int(m.group(1) or 1), int(m.group(2) or 1)


def _label_signature(lines: Sequence[str], start: int, labels: list[_Label]) -> int:
    """Label a ``-- `` signature up to the end, or up to quoted text a mailer put after it, or
    up to a patch attached after it (``git format-patch``'s From line, or a diff)."""
    i = start
    while i < len(lines) and quote_depth(lines[i])[0] == 0:
        if i > start and (_PSEUDO_FROM_RE.match(lines[i]) or _starts_diff(lines, i)):
            break
        labels[i] = (SegmentKind.SIGNATURE, 0) if lines[i].strip() else None
        i += 1
    return i


def _label_lines(lines: Sequence[str]) -> tuple[list[_Label], list[str]]:
    labels: list[_Label] = [None] * len(lines)
    texts = list(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(">"):
            depth, texts[i] = quote_depth(line)
            if depth > 0:
                labels[i] = (SegmentKind.QUOTED, depth) if texts[i].strip() else None
                i += 1
                continue
        if _is_sig_tail(lines, i):
            labels[i] = labels[i + 1] = (SegmentKind.SIGNATURE, 0)
            i += 2
        elif line == "-- ":
            i = _label_signature(lines, i, labels)
        elif not line.strip():
            i += 1
        elif _starts_diff(lines, i):
            end = _diff_end(lines, i)
            for j in range(i, end):
                labels[j] = (SegmentKind.DIFF, 0)
            i = end
        else:
            labels[i] = (SegmentKind.NEW, 0)
            i += 1
    return labels, texts


def segment_body(body: str) -> tuple[Segment, ...]:
    """Cut ``body`` into segments (``quotes`` is filled later, by :func:`attribute_quotes`)."""
    lines = body.split("\n")
    labels, texts = _label_lines(lines)
    segments: list[Segment] = []
    i = 0
    while i < len(lines):
        label = labels[i]
        if label is None:
            i += 1
            continue
        end = i + 1
        last = i  # last non-blank line of the run
        while end < len(lines) and (labels[end] is None or labels[end] == label):
            if labels[end] == label:
                last = end
            end += 1
        kind, depth = label
        segments.append(
            Segment(
                kind=kind,
                text="\n".join(texts[i : last + 1]),
                first_line=i,
                line_count=last + 1 - i,
                depth=depth,
            )
        )
        i = last + 1
    return tuple(segments)


def normalise(line: str) -> str:
    return " ".join(line.split())


def own_lines(segments: Sequence[Segment]) -> frozenset[str]:
    """The whitespace-normalised non-blank lines a message's author wrote (no quotes)."""
    return frozenset(
        n
        for s in segments
        if s.kind is not SegmentKind.QUOTED
        for line in s.text.split("\n")
        if (n := normalise(line))
    )


QUOTE_SEARCH_LIMIT = 50
"""Ancestors searched for quoted text beyond the one the depth names (deep chains stay linear)."""


def _score(quoted: Sequence[str], candidate: frozenset[str]) -> float:
    return sum(1 for n in quoted if n in candidate) / len(quoted) if quoted else 0.0


def attribute_quotes(
    segments: Sequence[Segment], ancestors: Sequence[tuple[str, frozenset[str]]]
) -> tuple[Segment, ...]:
    """Set ``quotes`` on QUOTED segments.

    ``ancestors`` are (Message-ID, own lines) from the parent upwards. Depth d points at the
    d-th ancestor unless that ancestor did not write at least half the quoted lines; then the
    nearest ancestor that did wins (people trim attribution levels). With no evidence either
    way, depth decides.
    """
    out: list[Segment] = []
    for seg in segments:
        if seg.kind is not SegmentKind.QUOTED or not ancestors:
            out.append(seg)
            continue
        quoted = [n for line in seg.text.split("\n") if (n := normalise(line))]
        chosen = min(seg.depth, len(ancestors)) - 1
        if _score(quoted, ancestors[chosen][1]) < 0.5:
            for k, (_, lines) in enumerate(ancestors[:QUOTE_SEARCH_LIMIT]):
                if k != chosen and _score(quoted, lines) >= 0.5:
                    chosen = k
                    break
        out.append(replace(seg, quotes=ancestors[chosen][0]))
    return tuple(out)
