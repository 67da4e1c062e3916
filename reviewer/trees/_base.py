"""Which commit of a tree a revision was written against.

In order: the configured branch when its blobs at the named paths are the ``index`` pre-images;
a commit that introduced those blobs (``git log --find-object``) on the branch; the
``base-commit:`` the mail names; else the branch itself (the revision may then need offsets or
fail, and the caller may fall back to a synthetic base).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import BaseHints, BlobHint
from ._git import Git
from ._graft import read_entries

__all__ = ["FoundBase", "find_base", "tree_has_blobs"]

_NULL = set("0")


@dataclass(frozen=True, slots=True)
class FoundBase:
    commit: str
    how: str
    """``blobs``, ``base-commit`` or ``branch <name>``."""
    holds_blobs: bool
    """True when the object store has every pre-image blob the revision names (3-way possible)."""


def _pre_blobs(hints: BaseHints) -> list[BlobHint]:
    return [b for b in hints.blobs if set(b.pre) - _NULL]


def tree_has_blobs(git: Git, commit: str, blobs: list[BlobHint]) -> bool:
    entries = read_entries(git, commit, [b.path for b in blobs])
    return all(b.path in entries and entries[b.path][1].startswith(b.pre) for b in blobs)


def _full_ids(git: Git, blobs: list[BlobHint]) -> list[str] | None:
    query = "".join(f"{b.pre}\n" for b in blobs).encode()
    out = git.run(["cat-file", "--batch-check"], input=query).stdout.decode().splitlines()
    ids = [w[0] for w in (line.split() for line in out) if len(w) == 3 and w[1] == "blob"]
    return ids if len(ids) == len(blobs) else None


def find_base(git: Git, hints: BaseHints, branch: str) -> FoundBase:
    head = git.out("rev-parse", "--verify", f"{branch}^{{commit}}")
    blobs = _pre_blobs(hints)
    full = _full_ids(git, blobs) if blobs else None
    holds = full is not None
    if full is not None:
        if tree_has_blobs(git, head, blobs):
            return FoundBase(head, "blobs", True)
        # --find-object lists the commits that add *or remove* the blob, newest first. The head
        # lacks it, so the newest is the one that changed the file again and the next one put
        # it there. Two at most: asking for more walks the file's whole history.
        found = git.out(
            "log", "-n", "2", "--format=%H", f"--find-object={full[0]}", head, "--",
            blobs[0].path,
        ).split()
        holder = next((c for c in found if tree_has_blobs(git, c, blobs)), None)
        if holder is not None:
            return FoundBase(holder, "blobs", True)
    if hints.base_commit and git.ok("cat-file", "-e", f"{hints.base_commit}^{{commit}}"):
        commit = git.out("rev-parse", f"{hints.base_commit}^{{commit}}")
        return FoundBase(commit, "base-commit", holds)
    return FoundBase(head, f"branch {branch}", holds)
