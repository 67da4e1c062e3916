"""Apply one revision's diff onto a base commit in a private, partial, temporary index.

The temporary index holds only the paths the diff touches (``update-index --index-info``), so
``git apply --cached`` works on a few entries whatever the tree's size; the result is grafted
into the base tree (:mod:`._graft`). Options are tried in order until one applies, and the
options that were needed are recorded: none, ``--3way`` (when the pre-image blobs exist),
``--ignore-whitespace``, ``--recount``, ``-C1``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .._scratch import scratch_dir
from ..model import ApplyError, HunkOffset
from ..revisions import FileDiff
from ._git import Git
from ._graft import Entry, graft, read_entries, safe_path

__all__ = ["TreeApplied", "apply_to_base", "option_sets"]

_CHECKING = re.compile(r"^Checking patch (.+?)\.\.\.$")
_HUNK_OK = re.compile(r"^Hunk #(\d+) succeeded at (\d+)(?: \(offset (-?\d+) lines?\))?")
_FAILED = re.compile(r"^error: patch failed: (.+):(\d+)$")
_CORRUPT = re.compile(r"^error: corrupt patch at line (\d+)$")
_DOES_NOT_APPLY = re.compile(
    r"^error: (.+): (does not exist in index|patch does not apply|already exists in index)$"
)


@dataclass(frozen=True, slots=True)
class TreeApplied:
    tree: str
    offsets: tuple[HunkOffset, ...]
    options: tuple[str, ...]
    entries: dict[str, Entry | None]
    """The touched paths' new entries (None: deleted)."""


def option_sets(three_way: bool) -> list[tuple[str, ...]]:
    sets: list[tuple[str, ...]] = [()]
    if three_way:
        sets.append(("--3way",))
    sets += [
        ("--ignore-whitespace",),
        ("--ignore-whitespace", "--recount"),
        ("--ignore-whitespace", "--recount", "-C1"),
    ]
    return sets


_SYMLINK = "120000"
_GITLINK = "160000"


def refuse_unsafe_paths(files: Sequence[FileDiff]) -> ApplyError | None:
    """The refusal for a diff naming a path no tree can hold (absolute, ``..``, ``.git``): such a
    path never reaches a git command, whatever the base."""
    paths = sorted({p for f in files for p in (f.old_path, f.new_path) if p})
    unsafe = next((p for p in paths if not safe_path(p)), None)
    if unsafe is None:
        return None
    return ApplyError(unsafe, None, "path leaves the tree or names .git; not applied", refused=True)


def _link_leaves_tree(path: str, target: str) -> bool:
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return target.startswith("/") or resolved == ".." or resolved.startswith("../") or not safe_path(resolved)


def _confine(git: Git, entries: dict[str, Entry | None]) -> ApplyError | None:
    """What the applied diff made, refused when it points outside the tree: a submodule (its
    commit lives elsewhere) or a symlink whose target leaves the tree or names .git."""
    for path, entry in sorted(entries.items()):
        if entry is None:
            continue
        mode, sha = entry
        if mode == _GITLINK:
            return ApplyError(path, None, "adds a submodule (gitlink); not applied",
                              refused=True)
        if mode == _SYMLINK:
            target = (git.blob(sha) or b"").decode(errors="replace")
            if _link_leaves_tree(path, target):
                return ApplyError(path, None, f"symlink to {target!r} leaves the tree; not applied",
                                  refused=True)
    return None


def _offsets(stderr: str, files: Sequence[FileDiff], reverse: bool = False) -> tuple[HunkOffset, ...]:
    """Every hunk's offset: git reports only the hunks that moved; the rest moved 0 lines.

    Reverse-applied, git numbers the reversed hunk by the revision's pre-image start and prints
    the offset with its sign flipped: the offset is taken from the line it succeeded at."""
    reported: dict[tuple[str, int], tuple[int, int]] = {}
    current = ""
    for line in stderr.splitlines():
        if m := _CHECKING.match(line):
            current = m.group(1)
        elif (m := _HUNK_OK.match(line)) and m.group(3) is not None:
            reported[(current, int(m.group(1)))] = (int(m.group(2)), int(m.group(3)))
    out = []
    for f in files:
        for n, hunk in enumerate(f.hunks, 1):
            at, offset = reported.get((f.path, n), (0, 0))
            out.append(HunkOffset(f.path, n, at - hunk.old_start if reverse and at else offset))
    return tuple(out)


def _error(stderr: str, files: Sequence[FileDiff], options: tuple[str, ...]) -> ApplyError:
    tried = " ".join(options) or "no options"
    lines = stderr.splitlines()
    searching = ""
    for k, line in enumerate(lines):
        if line.startswith("error: while searching for:") and k + 1 < len(lines):
            searching = lines[k + 1].strip()
    for line in lines:
        if m := _FAILED.match(line):
            path, at = m.group(1), int(m.group(2))
            hunk = None
            for f in files:
                if f.path == path or f.old_path == path:
                    hunk = next((n for n, h in enumerate(f.hunks, 1) if h.old_start == at), None)
            where = (
                f"context not found (first line {searching!r})"
                if searching
                else "context not found"
            )
            return ApplyError(path, hunk, f"{where}; tried {tried}")
        if m := _CORRUPT.match(line):
            return ApplyError(
                files[0].path if files else "",
                None,
                f"corrupt patch at line {m.group(1)}; tried {tried}",
            )
        if m := _DOES_NOT_APPLY.match(line):
            return ApplyError(m.group(1), None, f"{m.group(2)}; tried {tried}")
    first = next((x for x in lines if x.startswith("error:")), stderr.strip()[:200])
    return ApplyError(files[0].path if files else "", None, f"{first}; tried {tried}")


def _apply_once(
    git: Git, index_path: Path, base: dict[str, Entry], patch: Path, options: tuple[str, ...]
) -> tuple[bool, str, dict[str, Entry]]:
    if index_path.exists():
        index_path.unlink()
    igit = git.with_env(GIT_INDEX_FILE=str(index_path))
    info = "".join(f"{mode} {sha}\t{path}\0" for path, (mode, sha) in base.items())
    igit.run(["update-index", "-z", "--index-info"], input=info.encode(errors="surrogateescape"))
    # --whitespace=nowarn: a user's apply.whitespace=error must not reject a reviewer's view.
    args = ["apply", "--cached", "-v", "--whitespace=nowarn", *options, str(patch)]
    result = igit.run(args, check=False)
    if result.returncode != 0:
        return False, result.stderr, {}
    raw = igit.run(["ls-files", "-s", "-z"]).stdout.decode(errors="surrogateescape")
    after: dict[str, Entry] = {}
    for record in raw.split("\0"):
        if record:
            meta, path = record.split("\t", 1)
            mode, sha, _stage = meta.split()
            after[path] = (mode, sha)
    return True, result.stderr, after


def apply_to_base(
    git: Git, base: str, files: Sequence[FileDiff], patch_text: str, *, three_way: bool,
    reverse: bool = False,
) -> TreeApplied | ApplyError:
    """Apply ``patch_text`` (the repaired diff of ``files``) to commit ``base``; with
    ``reverse``, take it out of ``base`` (``git apply -R``: is the revision already there?)."""
    paths = sorted({p for f in files for p in (f.old_path, f.new_path) if p})
    if (refused := refuse_unsafe_paths(files)) is not None:
        return refused
    base_entries = read_entries(git, base, paths)
    with scratch_dir("reviewer-apply-") as tmp:
        patch = tmp / "revision.patch"
        patch.write_text(patch_text, encoding="utf-8", errors="surrogateescape")
        index_path = tmp / "index"
        last: tuple[str, tuple[str, ...]] = ("", ())
        for options in option_sets(three_way and not reverse):
            options = ("-R", *options) if reverse else options
            ok, stderr, after = _apply_once(git, index_path, base_entries, patch, options)
            if ok:
                changes: dict[str, Entry | None] = {p: after.get(p) for p in paths}
                changes.update({p: e for p, e in after.items() if p not in changes})
                if (refused := _confine(git, changes)) is not None:
                    return refused
                tree = graft(git, f"{base}^{{tree}}", changes)
                return TreeApplied(tree, _offsets(stderr, files, reverse), options, changes)
            last = (stderr, options)
    return _explain(git, base, files, _error(last[0], files, last[1]))


def _explain(git: Git, base: str, files: Sequence[FileDiff], error: ApplyError) -> ApplyError:
    """Name the hunk's first pre-image line the base does not have: the evidence of the failure."""
    hunk = next(
        (
            f.hunks[error.hunk - 1]
            for f in files
            if f.path == error.path and error.hunk and error.hunk <= len(f.hunks)
        ),
        None,
    )
    blob = git.blob(f"{base}:{error.path}") if hunk is not None else None
    if hunk is None or blob is None:
        return error
    present = {" ".join(line.split()) for line in blob.decode(errors="replace").splitlines()}
    missing = next(
        (text for _, text in hunk.old_lines if " ".join(text.split()) not in present), None
    )
    if missing is None:
        return error
    return ApplyError(
        error.path, error.hunk, f"{error.reason}; the base has no line {missing.strip()!r}"
    )
