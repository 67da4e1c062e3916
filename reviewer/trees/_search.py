"""Tree-wide ``git grep`` whose cost follows the change, not the tree.

A whole-tree grep of a kernel commit inflates every blob (seconds). Its answer is a fact about
the tree object, so it is kept in the :class:`~._facts.FactStore`: asked again, of the same tree
or in a later review, it costs nothing. A revision's tree differs from its base tree only in
the paths the revision touches, so its answer is the base's answer with those paths grepped
again (``git diff-tree`` names them): one tree-wide grep per base tree, however many revisions
and however many runs.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Sequence
from dataclasses import dataclass

from .._errors import TreeError
from ._facts import FactKey, FactStore
from ._git import Git

__all__ = ["GrepHit", "TreeSearch"]

_GLOB = frozenset("*?[")
_SPLIT_FROM = 20_000
"""Files from which a whole-tree grep runs as two processes (the kernel has 71,000)."""


@dataclass(frozen=True, slots=True)
class GrepHit:
    path: str
    line: int
    """1-based; 0 for a ``files_only`` answer."""
    text: str


def in_pathspec(path: str, specs: Sequence[str]) -> bool:
    """Whether git's plain pathspecs select ``path``: a glob matches across ``/`` (git's
    default), anything else names the path or a folder above it; no specs select everything."""
    if not specs:
        return True
    for spec in specs:
        if _GLOB & set(spec):
            if fnmatch.fnmatchcase(path, spec):
                return True
        elif path == spec.rstrip("/") or path.startswith(spec.rstrip("/") + "/"):
            return True
    return False


class TreeSearch:
    """Greps and facts over the commits of one repository, for one run (shared by threads)."""

    def __init__(self, git: Git, facts: FactStore | None = None) -> None:
        self.git = git
        self.facts = facts if facts is not None else FactStore(None)
        self._trees: dict[str, str] = {}
        self._changed: dict[tuple[str, str], tuple[str, ...]] = {}

    def tree_id(self, commit: str) -> str:
        if commit not in self._trees:
            self._trees[commit] = self.git.out("rev-parse", "--verify", f"{commit}^{{tree}}")
        return self._trees[commit]

    def changed_paths(self, base: str, commit: str) -> tuple[str, ...]:
        """The paths whose blobs differ between the two commits (added, removed or changed)."""
        if (base, commit) not in self._changed:
            raw = self.git.run(
                ["diff-tree", "-r", "-z", "--name-only", "--no-renames", base, commit]
            ).stdout.decode(errors="surrogateescape")
            self._changed[(base, commit)] = tuple(p for p in raw.split("\0") if p)
        return self._changed[(base, commit)]

    def grep(
        self,
        commit: str,
        args: Sequence[str],
        *,
        paths: Sequence[str] = (),
        files_only: bool = False,
        owner: tuple[str, str] = ("", ""),
        base: str | None = None,
    ) -> tuple[GrepHit, ...]:
        """``git grep -n <args> <commit> -- <paths>`` (``-l`` with ``files_only``), cached per
        tree; with ``base``, worked out from the base's answer and the paths that differ."""
        question = ("grep", "-l" if files_only else "-n", *args, "--", *paths)
        key = FactKey(self.tree_id(commit), owner[0], owner[1], question)
        stored = self.facts.get(key)
        if stored is not None:
            return tuple(GrepHit(p, n, t) for p, n, t in stored)
        if base is not None and self.tree_id(base) != key.tree:
            before = self.grep(base, args, paths=paths, files_only=files_only, owner=owner)
            changed = [p for p in self.changed_paths(base, commit) if in_pathspec(p, paths)]
            gone = set(changed)
            kept = [h for h in before if h.path not in gone]
            fresh = self._run(commit, args, [f":(literal){p}" for p in changed], files_only) if changed else []
            hits = sorted([*kept, *fresh], key=lambda h: (h.path, h.line))
        else:
            hits = self._run(commit, args, list(paths), files_only)
        self.facts.put(key, [[h.path, h.line, h.text] for h in hits])
        return tuple(hits)

    def halves(self, commit: str) -> list[list[str]]:
        """The tree's top-level entries in two pathspecs of about as many files each, for two
        greps at once (``git grep`` of a tree object barely uses a second core); one pathspec
        (the whole tree) when the tree is small or the machine has one core."""
        if (os.cpu_count() or 1) < 2:
            return [[]]
        names = self.git.run(["ls-tree", "-r", "-z", "--name-only", commit]).stdout.split(b"\0")
        if len(names) < _SPLIT_FROM:
            return [[]]
        count: dict[str, int] = {}
        for name in names:
            if name:
                top = name.split(b"/", 1)[0].decode(errors="surrogateescape")
                count[top] = count.get(top, 0) + 1
        groups: tuple[list[str], list[str]] = ([], [])
        sizes = [0, 0]
        for top, n in sorted(count.items(), key=lambda kv: -kv[1]):
            smaller = 0 if sizes[0] <= sizes[1] else 1
            groups[smaller].append(f":(literal){top}")
            sizes[smaller] += n
        return [g for g in groups if g]

    def _run(
        self, commit: str, args: Sequence[str], paths: Sequence[str], files_only: bool
    ) -> list[GrepHit]:
        mode = "-l" if files_only else "-n"
        specs = [list(paths)] if paths else self.halves(commit)
        commands = [["grep", mode, "-z", "-I", *args, commit, "--", *spec] for spec in specs]
        hits: list[GrepHit] = []
        for result in self.git.run_all(commands):
            # 1 is "no match"; a blob a partial clone lacks is reported on stderr and skipped.
            if result.returncode not in (0, 1):
                first = result.stderr.strip().splitlines()[:1] or ["(no message)"]
                raise TreeError(f"{self.git.git_dir}: git grep failed: {first[0]}")
            hits += _parse_grep(result.stdout.decode(errors="replace"), commit + ":", files_only)
        return sorted(hits, key=lambda h: (h.path, h.line))


def _parse_grep(out: str, prefix: str, files_only: bool) -> list[GrepHit]:
    if files_only:
        return [GrepHit(p.removeprefix(prefix), 0, "") for p in out.split("\0") if p]
    hits: list[GrepHit] = []
    for record in out.splitlines():
        parts = record.split("\0", 2)
        if len(parts) == 3 and parts[1].isdigit():
            hits.append(GrepHit(parts[0].removeprefix(prefix), int(parts[1]), parts[2]))
    return hits
