"""A small kernel-like git repository built from a thread's own pre-images (tests and demo).

Each touched file holds the pre-image lines at the line numbers the earliest formal revision's
hunks name (files it does not touch: the earliest revision that does), with filler elsewhere,
so the formal revisions apply with zero offset and a sketch numbered against another tree
applies with an offset. One commit on ``master``; then a user's checkout state on top (a
staged change, an unstaged change, an untracked file, a stash entry, a second branch) so a
test can prove that applying revisions leaves all of it alone.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ._errors import TreeError
from .model import Revision, RevisionKind, Thread
from .revisions import file_diffs, find_revisions
from .trees import layout_file, preimage_lines

__all__ = ["build_test_tree", "layout_tree_files"]

_FIXED_ENV = {
    "GIT_AUTHOR_NAME": "Test Tree",
    "GIT_AUTHOR_EMAIL": "tree@example.invalid",
    "GIT_AUTHOR_DATE": "946684800 +0000",
    "GIT_COMMITTER_NAME": "Test Tree",
    "GIT_COMMITTER_EMAIL": "tree@example.invalid",
    "GIT_COMMITTER_DATE": "946684800 +0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


def _git(dest: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", "-C", str(dest), *args],
        capture_output=True,
        env={**os.environ, **_FIXED_ENV},
        check=False,
    )
    if proc.returncode != 0:
        raise TreeError(
            f"{dest}: git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}"
        )
    return proc.stdout.decode(errors="replace").strip()


def layout_tree_files(revisions: Sequence[Revision]) -> dict[str, str]:
    """Path -> text of every file the revisions touch, laid out as described above."""
    ordered = sorted(revisions, key=lambda r: r.kind is not RevisionKind.FORMAL)
    files: dict[str, str] = {}
    for revision in ordered:
        for path, lines in preimage_lines(file_diffs(revision)).items():
            if path not in files:
                files[path] = layout_file(lines)
    return files


def build_test_tree(source: Thread | Sequence[Revision], dest: Path) -> Path:
    """Create the repository at ``dest`` (must not exist or be empty); returns ``dest``."""
    revisions = find_revisions(source) if isinstance(source, Thread) else tuple(source)
    if not revisions:
        raise TreeError(f"{dest}: no revision to take pre-images from")
    dest.mkdir(parents=True, exist_ok=True)
    if any(dest.iterdir()):
        raise TreeError(f"{dest}: not empty")
    _git(dest, "init", "-q", "-b", "master")
    (dest / "README").write_text("A small kernel-like tree built from a thread's pre-images.\n")
    root = dest.resolve()
    for path, text in layout_tree_files(revisions).items():
        target = dest / path
        # The paths come from mail: one that climbs out (``../``) or names .git is refused.
        if ".git" in Path(path).parts or not target.resolve().is_relative_to(root):
            raise TreeError(f"{dest}: diff path {path} leaves the tree; not written")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    _git(dest, "add", "-A")
    _git(dest, "commit", "-q", "-m", "base: pre-images of the thread's revisions")
    # The user's own state, which applying revisions must leave alone.
    _git(dest, "branch", "topic")
    (dest / "README").write_text("A stashed change.\n")
    _git(dest, "stash", "-q")
    (dest / "Makefile").write_text("# staged, not committed\n")
    _git(dest, "add", "Makefile")
    (dest / "README").write_text("An unstaged change.\n")
    (dest / "NOTES.txt").write_text("untracked\n")
    return dest
