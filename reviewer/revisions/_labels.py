"""Versions, labels and ``supersedes`` links: what a reviewer calls each revision.

* formal: the subject's version, ``v2`` (``v2 2/3`` inside a series);
* inline: the in-body subject's version when it states one, else one more than the newest
  version so far (a patch posted in reply to a vN thread that changes the patch is v(N+1)),
  ``v2 (inline, 23 Mar)`` with the carrying mail's date;
* sketch: no version, ``sketch by Jane Doe, 26 Mar``.

A revision supersedes the newest earlier one that touches one of its files (the same-numbered
patch for a series); failing that, the newest earlier formal or inline revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..model import Revision, RevisionKind

__all__ = ["assign_versions_and_labels"]


def _supersedes(
    revision: Revision, paths: set[str], earlier: list[tuple[Revision, set[str]]]
) -> str | None:
    if revision.series_index is not None:
        for prev, _ in reversed(earlier):
            if prev.series_index == revision.series_index:
                return prev.id
    for prev, prev_paths in reversed(earlier):
        if paths & prev_paths:
            return prev.id
    for prev, _ in reversed(earlier):
        if prev.kind in (RevisionKind.FORMAL, RevisionKind.INLINE):
            return prev.id
    return None


def assign_versions_and_labels(
    found: Sequence[tuple[Revision, set[str], int]],
    posted_days: Sequence[str] | None = None,
) -> list[Revision]:
    """``found``: (revision, paths it touches, version of the subject it was posted under)."""
    out: list[Revision] = []
    earlier: list[tuple[Revision, set[str]]] = []
    newest = 0
    used: dict[str, int] = {}
    for n, (revision, paths, thread_version) in enumerate(found):
        day = posted_days[n] if posted_days else f"{revision.date.day} {revision.date:%b}"
        version = revision.version
        if revision.kind is RevisionKind.FORMAL:
            version = version or 1
            label = f"v{version}"
            if revision.series_total:
                label += f" {revision.series_index}/{revision.series_total}"
        elif revision.kind is RevisionKind.INLINE:
            version = version or max(newest, thread_version) + 1
            label = f"v{version} (inline, {day})"
        else:
            label = f"sketch by {revision.author.display}, {day}"
        used[label] = used.get(label, 0) + 1
        if used[label] > 1:
            label += f" #{used[label]}"
        if version is not None:
            newest = max(newest, version)
        labelled = replace(
            revision,
            label=label,
            version=version,
            supersedes=_supersedes(revision, paths, earlier),
        )
        out.append(labelled)
        earlier.append((labelled, paths))
    return out
