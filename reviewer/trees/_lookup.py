"""Find a callee's definition in a tree commit, for the simulator to execute what it does not model."""

from __future__ import annotations

import re
from pathlib import Path

from ..model import FunctionImage
from ._functions import find_functions, function_at, function_named
from ._git import Git, open_repo
from ._search import TreeSearch
from ._synthetic import SYNTHETIC_SUBJECT

__all__ = ["SourceLookup"]

_IDENT = re.compile(r"^[A-Za-z_]\w*$")
_OWNER = ("trees/lookup", "1")
"""Whose facts the definition greps are (bump the version when the question changes)."""


class SourceLookup:
    """``lookup(name)``: the function's source in one commit (``git grep`` then parse).

    Results are memoised per instance (one lookup serves one tree commit). In a synthetic tree
    (a base made of hunks, or a revision applied to one) every image is marked incomplete: only
    the hunks' lines are real there.
    """

    def __init__(self, repo_path: Path, commit: str, *, search: TreeSearch | None = None,
                 base: str | None = None) -> None:
        # ``search``: the run's runner and tree-wide cache; ``base``: the commit ``commit`` was
        # made from (its greps are the base's plus the touched files).
        self._tree_search = search or TreeSearch(open_repo(repo_path))
        self._git: Git = self._tree_search.git
        self._base = base
        self._commit = commit
        self._found: dict[str, FunctionImage | None] = {}
        self._synthetic_tree: bool | None = None  # asked on the first lookup: most runs make none

    @property
    def _synthetic(self) -> bool:
        if self._synthetic_tree is None:
            roots = self._git.out("rev-list", "--max-parents=0", self._commit).split()
            self._synthetic_tree = bool(roots) and all(
                self._git.out("log", "-1", "--format=%s", root) == SYNTHETIC_SUBJECT for root in roots
            )
        return self._synthetic_tree

    def lookup(self, name: str) -> FunctionImage | None:
        if name not in self._found:
            self._found[name] = self._search(name) if _IDENT.match(name) else None
        return self._found[name]

    def _search(self, name: str) -> FunctionImage | None:
        # A definition starts at column 0 (kernel style) and its line does not end with ';'.
        # git greps the fixed word (a regular expression over a kernel tree is ten times slower).
        definition = re.compile(rf"^[A-Za-z_].*\b{name}\s*\(")
        hits = self._tree_search.grep(self._commit, ("-F", "-w", "-e", name), paths=("*.c", "*.h"),
                                 owner=_OWNER, base=self._base)
        for path, line_no, text in ((h.path, h.line, h.text) for h in hits):
            if not definition.match(text) or text.rstrip().endswith(";"):
                continue
            blob = self._git.blob(f"{self._commit}:{path}")
            if blob is None:
                continue
            source = blob.decode(errors="replace")
            lines = source.split("\n")
            functions = find_functions(source, path)
            span = function_named(functions, name)
            if span is None:
                # tree-sitter lost it: scan braces from the line after the signature.
                span = function_at([], lines, int(line_no) + 1, path)
                if span is None or span.name != name:
                    continue
            return FunctionImage(
                name=name,
                path=path,
                start_line=span.start_line,
                end_line=span.end_line,
                source=span.source(lines),
                complete=not self._synthetic,
                problems=span.problems
                + (
                    (f"{path}:{span.start_line}: synthetic tree, only hunk lines are real",)
                    if self._synthetic
                    else ()
                ),
            )
        return None
