"""Test trees with a history of the seed thread's __free_pages(), for the Fixes: stage tests.

The tip of every tree is the thread's own pre-image layout (reviewer.testtree.layout_tree_files),
so the revisions apply to it; the commits before it hold the function as it was before the
commit v2's tag names. Before that commit, __free_pages() only dropped the reference and freed
the whole block when it reached zero (v5.9); the commit added the !PageHead() branch that frees
the tail blocks.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sim_sources import SEED_MBOX, seed_images

from reviewer._mbox import split_mbox
from reviewer.model import Thread
from reviewer.revisions import find_revisions
from reviewer.testtree import layout_tree_files
from reviewer.thread import build_thread

__all__ = ["BEFORE", "NAMED_TITLE", "Step", "build_history", "seed_thread", "with_comment"]

BEFORE = """void __free_pages(struct page *page, unsigned int order)
{
\tif (put_page_testzero(page))
\t\tfree_the_page(page, order);
}
"""
NAMED_TITLE = "mm/page_alloc.c: fix freeing non-compound pages"
_ENV = {
    "GIT_AUTHOR_NAME": "Tree", "GIT_AUTHOR_EMAIL": "tree@example.invalid",
    "GIT_COMMITTER_NAME": "Tree", "GIT_COMMITTER_EMAIL": "tree@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class Step:
    title: str
    function: str | None
    """__free_pages() at this commit; None: the commit touches another file only."""


def with_comment(source: str, note: str) -> str:
    """The function with a comment line at the top of its body (a change that changes nothing)."""
    return source.replace("{\n", f"{{\n\t/* {note} */\n", 1)


def seed_thread(edit: tuple[bytes, bytes] | None = None) -> Thread:
    """The seed thread; ``edit``: (regex, replacement) applied to the raw mbox (v2's tag line)."""
    data = SEED_MBOX.read_bytes()
    if edit is not None:
        data, n = re.subn(edit[0], edit[1], data, flags=re.M)
        assert n == 1, "the edit must hit v2's own tag line once"
    return build_thread(split_mbox(data), source=str(SEED_MBOX))


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env={**os.environ, **_ENV}, check=True).stdout.strip()


def build_history(dest: Path, thread: Thread, steps: Sequence[Step]) -> list[str]:
    """One commit per step, oldest first; the last step must leave the thread's pre-image
    (the function as the thread's base has it). Returns the commit ids."""
    files = layout_tree_files(find_revisions(thread))
    at = seed_images().base.source
    layout = files["mm/page_alloc.c"]
    assert at in layout
    dest.mkdir(parents=True)
    _git(dest, "init", "-q", "-b", "master")
    commits = []
    current = layout
    for n, step in enumerate(steps):
        if step.function is not None:
            current = layout.replace(at, step.function)
            for path, text in files.items():
                target = dest / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(current if path == "mm/page_alloc.c" else text)
        else:
            (dest / "Documentation").mkdir(exist_ok=True)
            (dest / "Documentation" / "notes.rst").write_text(f"note {n}\n")
        _git(dest, "add", "-A")
        _git(dest, "commit", "-q", "-m", step.title)
        commits.append(_git(dest, "rev-parse", "HEAD"))
    assert current == layout, "the tip must hold the thread's pre-image"
    return commits
