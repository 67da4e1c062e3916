"""reviewer's private refs (``refs/reviewer/...``), written safely beside other reviews.

``git update-ref`` is atomic, but it takes a ``<ref>.lock`` file: two reviews of one thread
updating the same ref at the same moment make one of them fail, and a review killed inside
``update-ref`` leaves the lock behind for ever. So every update of a private ref holds an
exclusive ``flock`` on ``<git common dir>/reviewer.lock`` (released by the kernel however the
process ends): while it is held, no other reviewer writes private refs, and a private ref's
``.lock`` file can only be a dead process's, safe to remove.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from .._errors import TreeError
from ._git import Git

__all__ = ["PRIVATE_REFS", "update_private_ref"]

PRIVATE_REFS = "refs/reviewer/"


def _common_dir(git_dir: Path) -> Path:
    """Where refs live: a linked worktree's git dir names it in ``commondir``."""
    try:
        return (git_dir / (git_dir / "commondir").read_text().strip()).resolve()
    except OSError:
        return git_dir


@contextlib.contextmanager
def _refs_lock(common: Path) -> Iterator[None]:
    try:
        fd = os.open(common / "reviewer.lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise TreeError(f"{common}: cannot lock reviewer's refs: {exc.strerror}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def update_private_ref(git: Git, ref: str, commit: str) -> None:
    """Point ``ref`` (under refs/reviewer/) at ``commit``."""
    if not ref.startswith(PRIVATE_REFS):
        raise TreeError(f"{git.git_dir}: {ref} is not one of reviewer's refs")
    common = _common_dir(git.git_dir)
    with _refs_lock(common):
        result = git.run(["update-ref", ref, commit], check=False)
        stale = common / f"{ref}.lock"
        if result.returncode != 0 and stale.is_file():
            stale.unlink()  # a killed review's: no live reviewer holds it while we hold the flock
            result = git.run(["update-ref", ref, commit], check=False)
        if result.returncode != 0:
            first = (result.stderr.strip().splitlines() or ["(no message)"])[0]
            raise TreeError(f"{git.git_dir}: git update-ref failed: {first}")
