"""Tree-sitter and git helpers for checks, re-exported by :mod:`reviewer.check_api`."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import git
import tree_sitter

from ._errors import TreeError

__all__ = ["GrepHit", "TreeView", "call_arguments", "call_name", "is_hex", "walk"]


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



@dataclass(frozen=True, slots=True)
class GrepHit:
    path: str
    line: int
    text: str


@dataclass(frozen=True)
class TreeView:
    """Read-only access to one commit of a git tree, for tree-wide checks (nothing is checked out)."""

    repo: git.Repo
    commit: str
    """Full hex of the commit looked at."""

    def _git(self, *args: str) -> str:
        try:
            return str(self.repo.git.execute(["git", *args], strip_newline_in_stdout=False))
        except git.GitCommandError as exc:
            # git grep and rev-parse --quiet exit 1 for "no match"; anything else is a failure.
            if args[0] in ("grep", "rev-parse") and exc.status == 1:
                return ""
            raise TreeError(f"{self.repo.working_dir}: git {args[0]} failed: {str(exc.stderr).strip()}") from exc

    def grep(self, *pattern_args: str, paths: Sequence[str] = ()) -> tuple[GrepHit, ...]:
        """``git grep -n <pattern_args> <commit> -- <paths>``: every matching line."""
        out = self._git("grep", "-n", "-z", "-I", *pattern_args, self.commit, "--", *paths)
        hits = []
        prefix = self.commit + ":"
        for record in out.splitlines():
            parts = record.split("\0", 2)
            if len(parts) == 3 and parts[1].isdigit():
                hits.append(GrepHit(parts[0].removeprefix(prefix), int(parts[1]), parts[2]))
        return tuple(hits)

    def grep_files(self, *pattern_args: str, paths: Sequence[str] = ()) -> tuple[str, ...]:
        """``git grep -l <pattern_args> <commit> -- <paths>``: the matching files."""
        out = self._git("grep", "-l", "-z", "-I", *pattern_args, self.commit, "--", *paths)
        prefix = self.commit + ":"
        return tuple(p.removeprefix(prefix) for p in out.split("\0") if p)

    def read(self, path: str) -> bytes | None:
        """The blob at ``path`` in the commit, None when there is none."""
        try:
            blob = self.repo.commit(self.commit).tree / path
        except KeyError:
            return None
        data: bytes = blob.data_stream.read()
        return data

    def resolve(self, rev: str) -> str | None:
        """The full hex of commit ``rev`` if the repository has it, else None."""
        out = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", rev + "^{commit}") if is_hex(rev) else ""
        return out.strip() or None

    def subject(self, commit: str) -> str:
        return str(self.repo.commit(commit).summary)

    def in_user_refs(self) -> bool:
        """True when a branch, tag or remote branch of the user's contains the commit."""
        out = self._git("for-each-ref", "--contains", self.commit, "--format=%(refname)",
                        "refs/heads", "refs/tags", "refs/remotes")
        return bool(out.strip())


def is_hex(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F]{4,40}", text))
