"""A revision the tree already has: it does not apply, but it applies in reverse.

The review then runs on real code: the base is the branch with the revision taken out again
(``git apply -R`` in a temporary index, as forwards), and the revision's commit is the branch's
own tree on top of it. The branch's history is asked which commit brought the change: one whose
diff of the same paths has the revision's ``git patch-id``, else one with the revision's
subject. Only commits made after the revision was posted are looked at (``--since``), so the
walk stays short on a tree with a long history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from ..model import InTree, Revision
from ..revisions import FileDiff
from ._git import Git

__all__ = ["find_in_history", "without_revision_message"]

_SLACK = timedelta(days=2)
"""Committer clocks and time zones: look a little before the posting date."""


def without_revision_message(title: str) -> str:
    """The message of the base made by taking a revision out of the branch."""
    return f"reviewer: the branch without \"{title}\" (it applies in reverse)"


def _patch_ids(git: Git, diff: bytes) -> list[tuple[str, str]]:
    """``git patch-id --stable`` of a diff (or a log with diffs): (patch id, commit) pairs."""
    out = git.run(["patch-id", "--stable"], input=diff).stdout.decode(errors="replace")
    return [(w[0], w[1]) for w in (line.split() for line in out.splitlines()) if len(w) == 2]


def find_in_history(
    git: Git, head: str, revision: Revision, files: Sequence[FileDiff], patch: str
) -> InTree:
    """Which commit of ``head``'s history brought ``revision`` (None in a history without it)."""
    paths = sorted({p for f in files for p in (f.old_path, f.new_path) if p})
    since = (revision.date - _SLACK).isoformat() if revision.date.tzinfo else None
    limit = [f"--since={since}"] if since else []
    mine = _patch_ids(git, patch.encode(errors="surrogateescape"))
    if mine:
        log = git.run(["log", "--no-merges", "-p", "--no-color", "--no-ext-diff", *limit,
                       "--format=commit %H", head, "--", *paths]).stdout
        for patch_id, commit in _patch_ids(git, log):
            if patch_id == mine[0][0]:
                return InTree(commit, "patch-id")
    subjects = git.run(["log", "--no-merges", "-z", "--format=%H %s", *limit, head, "--", *paths])
    for record in subjects.stdout.decode(errors="replace").split("\0"):
        commit, _, subject = record.partition(" ")
        if commit and subject.strip() == revision.title.strip():
            return InTree(commit, "subject")
    return InTree()
