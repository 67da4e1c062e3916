"""What changed from one revision to the next, in one line a reviewer can scan."""

from __future__ import annotations

import difflib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._errors import TreeError
from ..model import Revision
from ._diffscan import FileDiff
from ._normalise import file_diffs, normalise_diff

__all__ = ["diff_of_diffs", "range_diff_summary"]


def diff_of_diffs(old: Sequence[FileDiff], new: Sequence[FileDiff]) -> list[str]:
    """Unified diff of the two normalised diffs, without its ``---``/``+++`` header."""
    lines = list(difflib.unified_diff(
        normalise_diff(old).splitlines(), normalise_diff(new).splitlines(), lineterm="", n=1
    ))
    # Only difflib's own two header lines: "--- x" is also an inner "-- x" line removed.
    return lines[2:]


def _git_range_diff(repo: Path, old_commit: str, new_commit: str,
                    git_env: Mapping[str, str] | None) -> list[str]:
    """The diff-of-diffs lines of the code sections (metadata and commit message left out)."""
    env = dict(git_env) if git_env is not None else {**os.environ, "LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0"}
    # A huge creation factor pairs the two commits however different they are.
    cmd = [
        "git",
        "-C",
        str(repo),
        "range-diff",
        "--no-color",
        "--creation-factor=999",
        f"{old_commit}^..{old_commit}",
        f"{new_commit}^..{new_commit}",
    ]
    proc = subprocess.run(cmd, capture_output=True, env=env, check=False)
    if proc.returncode != 0:
        raise TreeError(
            f"{repo}: git range-diff failed: {proc.stderr.decode(errors='replace').strip()[:200]}"
        )
    out: list[str] = []
    in_code = False
    for line in proc.stdout.decode(errors="replace").splitlines():
        if not line.startswith("    "):
            continue  # the "1: abc ! 1: def title" pair line
        body = line[4:]
        inner = body[1:].lstrip(" ")  # the first column is the outer diff's marker
        if inner.startswith("## ") and inner.endswith(" ##"):
            in_code = inner.strip(" #") not in ("Metadata", "Commit message")
        elif in_code:
            out.append(body)
    return out


def range_diff_summary(
    old: Revision,
    new: Revision,
    *,
    repo: Path | None = None,
    old_commit: str | None = None,
    new_commit: str | None = None,
    functions: Sequence[str] = (),
    git_env: Mapping[str, str] | None = None,
) -> str:
    """``vs v1: mm/page_alloc.c (__free_pages); diff-of-diffs +12/-3 (git range-diff)``.

    ``git range-diff`` when both revisions are commits in ``repo`` (run with ``git_env``, the
    trees stage's hardened environment), else a diff of the normalised diffs. ``functions``: the
    functions whose post-image differs (from the trees).
    """
    old_files, new_files = file_diffs(old), file_diffs(new)
    method = "normalised diffs"
    lines = diff_of_diffs(old_files, new_files)
    if repo is not None and old_commit and new_commit:
        try:
            lines = _git_range_diff(repo, old_commit, new_commit, git_env)
            method = "git range-diff"
        except TreeError:
            pass
    added = sum(1 for x in lines if x.startswith("+"))
    removed = sum(1 for x in lines if x.startswith("-"))
    old_by_path = {f.path: normalise_diff([f]) for f in old_files}
    new_by_path = {f.path: normalise_diff([f]) for f in new_files}
    changed = sorted(
        p
        for p in old_by_path.keys() | new_by_path.keys()
        if old_by_path.get(p) != new_by_path.get(p)
    )
    if not changed and not added and not removed:
        return f"vs {old.label}: same diff"
    where = ", ".join(changed) or "no file"
    if functions:
        where += f" ({', '.join(functions)})"
    return f"vs {old.label}: {where}; diff-of-diffs +{added}/-{removed} ({method})"
