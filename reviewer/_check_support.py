"""Tree-sitter and git helpers for checks, re-exported by :mod:`reviewer.check_api`."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

import tree_sitter

from .trees import FactKey, Git, GrepHit, TreeSearch, git_env, open_repo

if TYPE_CHECKING:
    import git  # GitPython: accepted from callers, not needed to read a tree

__all__ = ["GrepHit", "TreeView", "as_git", "call_arguments", "call_name", "is_hex", "walk"]

T = TypeVar("T")


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """``node`` and all its descendants, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def call_name(node: tree_sitter.Node) -> str | None:
    """The callee of a ``call_expression`` whose function is a plain name, else None."""
    if node.type != "call_expression":
        return None
    callee = node.child_by_field_name("function")
    if callee is None or callee.type != "identifier" or callee.text is None:
        return None
    return callee.text.decode()


def call_arguments(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    args = node.child_by_field_name("arguments")
    return [] if args is None else list(args.named_children)



@dataclass(frozen=True)
class TreeView:
    """Read-only access to one commit of a git tree, for tree-wide checks (nothing is checked out).

    Whole-tree greps are facts about the tree: kept on disk per (tree, check, check version)
    and, on a revision's tree, worked out from the base's answer and the paths the revision
    touched. Every git command goes through :class:`reviewer.trees.Git`.
    """

    search: TreeSearch
    commit: str
    """Full hex of the commit looked at."""
    base: str | None = None
    """The commit this one was made from by applying a revision (answers are derived from it)."""
    owner: tuple[str, str] = ("", "")
    """(check id, check version) the answers are kept under."""

    @classmethod
    def open(cls, repo: git.Repo | Path | Git, commit: str) -> TreeView:
        """A view of ``commit`` in ``repo`` with answers kept in memory only."""
        return cls(TreeSearch(as_git(repo)), commit)

    @property
    def git(self) -> Git:
        return self.search.git

    def at(self, commit: str) -> TreeView:
        """The same repository (and cache) at another commit."""
        return TreeView(self.search, commit, None, self.owner)

    def scoped(self, owner: str, version: str) -> TreeView:
        return replace(self, owner=(owner, version))

    def grep(self, *pattern_args: str, paths: Sequence[str] = ()) -> tuple[GrepHit, ...]:
        """``git grep -n <pattern_args> <commit> -- <paths>``: every matching line."""
        return self.search.grep(self.commit, pattern_args, paths=paths, owner=self.owner,
                                base=self.base)

    def grep_files(self, *pattern_args: str, paths: Sequence[str] = ()) -> tuple[str, ...]:
        """``git grep -l <pattern_args> <commit> -- <paths>``: the matching files."""
        hits = self.search.grep(self.commit, pattern_args, paths=paths, files_only=True,
                                owner=self.owner, base=self.base)
        return tuple(h.path for h in hits)

    def remember(self, question: Sequence[str], compute: Callable[[], T | None]) -> T | None:
        """``compute()``'s JSON value, kept for this tree, check and ``question``."""
        key = FactKey(self.search.tree_id(self.commit), *self.owner, tuple(question))
        stored = self.search.facts.get(key)
        if stored is not None:
            return cast(T, stored)
        value = compute()
        if value is not None:  # None: nothing worked out, ask again next time
            self.search.facts.put(key, value)
        return value

    def read(self, path: str) -> bytes | None:
        """The blob at ``path`` in the commit, None when there is none."""
        return self.git.blob(f"{self.commit}:{path}")

    def names(self, folder: str = "", *, recursive: bool = False) -> dict[str, str]:
        """The entries of ``folder`` (the root by default) in the commit: path -> ``blob`` or
        ``tree``; with ``recursive``, every file below it."""
        args = ["ls-tree", "-z", "--full-tree"] + (["-r"] if recursive else [])
        spec = f"{self.commit}:{folder}" if folder and not recursive else self.commit
        paths = [f"{folder.rstrip('/')}/"] if folder and recursive else []
        result = self.git.run([*args, spec, "--", *paths], check=False)
        out: dict[str, str] = {}
        for record in result.stdout.decode(errors="surrogateescape").split("\0"):
            if record:
                meta, name = record.split("\t", 1)
                out[name] = meta.split()[1]
        return out

    def export(self, paths: Iterable[str], into: Path) -> list[str]:
        """Write the blobs at ``paths`` under folder ``into`` (nothing is checked out in the
        repository); returns the paths that exist in the commit."""
        written = []
        for path in paths:
            parts = path.split("/")
            if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
                continue  # a name (perhaps from a mail) that would leave ``into``
            data = self.read(path)
            if data is None:
                continue
            target = into / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(path)
        return written

    def program_env(self, scratch: Path) -> dict[str, str]:
        """The environment for a program that runs git on this repository itself (a tree's own
        script): our git settings, ``GIT_DIR`` this repository's, and an index of its own in
        ``scratch`` rather than the user's."""
        return git_env({"GIT_DIR": str(self.git.git_dir), "GIT_INDEX_FILE": str(scratch / "index")})

    def resolve(self, rev: str) -> str | None:
        """The full hex of commit ``rev`` if the repository has it, else None."""
        if not is_hex(rev):
            return None
        result = self.git.run(["rev-parse", "--verify", "--quiet", "--end-of-options",
                               rev + "^{commit}"], check=False)
        if result.returncode != 0:
            return None
        return result.stdout.decode().strip() or None

    def parent(self) -> str | None:
        """The commit's first parent, None for a root commit."""
        result = self.git.run(["rev-parse", "--verify", "--quiet", f"{self.commit}^1"], check=False)
        if result.returncode != 0:
            return None
        return result.stdout.decode().strip() or None

    def subject(self, commit: str) -> str:
        return self.git.out("log", "-1", "--format=%s", commit, "--")

    def in_user_refs(self) -> bool:
        """True when a branch, tag or remote branch of the user's contains the commit."""
        out = self.git.out("for-each-ref", "--contains", self.commit, "--format=%(refname)",
                           "refs/heads", "refs/tags", "refs/remotes")
        return bool(out.strip())


def as_git(repo: git.Repo | Path | Git) -> Git:
    """Our git runner for a GitPython repository, a path or a runner."""
    if isinstance(repo, Git):
        return repo
    if isinstance(repo, Path):
        return open_repo(repo)
    return Git(Path(repo.git_dir).resolve())


def is_hex(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{4,40}", text))
