"""New tree objects made by rewriting only the touched paths of a base tree.

``git read-tree`` of a whole kernel tree costs O(files); a revision touches a handful of paths.
Here only the directories on those paths are listed (``ls-tree``) and rewritten (``mktree``),
so the cost follows the depth and width of the touched directories, not the size of the tree.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._git import EMPTY_TREE, Git

__all__ = ["Entry", "graft", "read_entries", "safe_path"]

Entry = tuple[str, str]
"""(mode, blob id) of a file."""


def safe_path(path: str) -> bool:
    """Relative, no ``.``/``..``/empty component, and no ``.git`` (nor ``.GIT``, ``.git.``, as
    case-insensitive or dot-stripping file systems would read it)."""
    parts = path.split("/")
    return not path.startswith("/") and all(
        p not in ("", ".", "..") and p.lower().rstrip(". ") != ".git" for p in parts
    )


def read_entries(git: Git, treeish: str, paths: list[str]) -> dict[str, Entry]:
    """The entries of ``paths`` in ``treeish`` (missing paths, and paths no tree can hold, are
    left out). Paths come from mail: they are read literally, never as globs."""
    paths = [p for p in paths if safe_path(p)]
    if not paths:
        return {}
    literal = git.with_env(GIT_LITERAL_PATHSPECS="1")
    raw = literal.run(["ls-tree", "-z", "--full-tree", treeish, "--", *paths]).stdout
    out: dict[str, Entry] = {}
    for record in raw.decode(errors="surrogateescape").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob" and path in paths:
            out[path] = (mode, sha)
    return out


def _list_tree(git: Git, tree: str) -> dict[str, tuple[str, str, str]]:
    raw = git.run(["ls-tree", "-z", tree]).stdout
    out: dict[str, tuple[str, str, str]] = {}
    for record in raw.decode(errors="surrogateescape").split("\0"):
        if record:
            meta, name = record.split("\t", 1)
            mode, kind, sha = meta.split()
            out[name] = (mode, kind, sha)
    return out


def _make_tree(git: Git, entries: Mapping[str, tuple[str, str, str]]) -> str:
    data = "".join(f"{m} {k} {s}\t{name}\0" for name, (m, k, s) in sorted(entries.items()))
    return git.out("mktree", "-z", input=data.encode(errors="surrogateescape"))


def graft(git: Git, base_tree: str | None, changes: Mapping[str, Entry | None]) -> str:
    """``base_tree`` with each path set to its entry, or removed for None; returns the tree id."""
    here: dict[str, Entry | None] = {}
    below: dict[str, dict[str, Entry | None]] = {}
    for path, entry in changes.items():
        head, _, rest = path.partition("/")
        if rest:
            below.setdefault(head, {})[rest] = entry
        else:
            here[head] = entry
    entries = _list_tree(git, base_tree) if base_tree and base_tree != EMPTY_TREE else {}
    for name, entry in here.items():
        if entry is None:
            entries.pop(name, None)
        else:
            entries[name] = (entry[0], "blob", entry[1])
    for name, sub_changes in below.items():
        old = entries.get(name)
        sub_base = old[2] if old and old[1] == "tree" else None
        sub_tree = graft(git, sub_base, sub_changes)
        if sub_tree == EMPTY_TREE:
            entries.pop(name, None)
        else:
            entries[name] = ("040000", "tree", sub_tree)
    return _make_tree(git, entries) if entries else _make_tree(git, {})
