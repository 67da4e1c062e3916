"""Normalised diffs: what stays the same when mail, rebasing or a resend changes the bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ..model import Revision
from ._diffscan import FileDiff, scan_diffs

__all__ = ["diff_id", "file_diffs", "normalise_diff", "patch_text"]


def _squash(text: str) -> str:
    return " ".join(text.split())


def normalise_diff(files: Sequence[FileDiff]) -> str:
    """Paths, and per hunk the marked lines with whitespace squashed; no index lines, no numbers.

    Whitespace damage, hunk line numbers (a rebase moves them) and blob ids (they name the base)
    do not change it; a changed line of code does.
    """
    out: list[str] = []
    for f in files:
        out.append(f"file {f.old_path or '/dev/null'} -> {f.new_path or '/dev/null'}")
        for hunk in f.hunks:
            out.append("@@")
            for line in hunk.lines:
                if line.startswith("\\"):
                    continue
                body = _squash(line[1:])
                if line[0] == " " and not body:
                    continue  # blank context lines are what mail loses first
                out.append(line[0] + body)
    return "\n".join(out) + "\n"


def diff_id(files: Sequence[FileDiff]) -> str:
    """12 hex digits of the SHA-256 of :func:`normalise_diff`."""
    return hashlib.sha256(normalise_diff(files).encode()).hexdigest()[:12]


def file_diffs(revision: Revision) -> list[FileDiff]:
    """The revision's diff, parsed again (the diff text is self-contained)."""
    return scan_diffs(revision.diff.split("\n"))


def patch_text(revision: Revision) -> str:
    """A repaired patch ``git apply`` and ``unidiff.PatchSet`` accept (headers completed)."""
    lines: list[str] = []
    for f in file_diffs(revision):
        lines += f.patch_lines()
    return "\n".join(lines) + "\n"
