"""Revisions: every version of the change in a thread, with stable ids, labels and range-diffs."""

from __future__ import annotations

from ._diffscan import FileDiff, Hunk, scan_diffs
from ._finder import find_revisions
from ._normalise import diff_id, file_diffs, normalise_diff, patch_text
from ._rangediff import diff_of_diffs, range_diff_summary

__all__ = [
    "FileDiff",
    "Hunk",
    "diff_id",
    "diff_of_diffs",
    "file_diffs",
    "find_revisions",
    "normalise_diff",
    "patch_text",
    "range_diff_summary",
    "scan_diffs",
]
