"""Read-only history of the user's tree: a commit by id or title, functions at a commit, and
the commits that changed a function (``git log -L``).

Only plain read commands run, each with its arguments as data: ids are validated hex, titles
go in as a ``--grep`` value, paths and line ranges are checked before they reach ``-L``.
Nothing that could run a program configured in the repository is let through: no textconv,
no external diff, no signature checks (gpg), and no lazy fetch of a partial clone's missing
objects (protocol.allow=never).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .._check_support import is_hex
from ..model import CommitRef, FunctionImage
from ..trees import find_functions
from ..trees._git import Git, open_repo

__all__ = ["History", "safe_path"]

_LOG_SAFETY = ("--no-show-signature", "--no-textconv", "--no-ext-diff", "--no-color", "--no-notes",
               "--no-mailmap")
_SAFE_ENV = {
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_CONFIG_COUNT": "2",
    "GIT_CONFIG_KEY_0": "protocol.allow",
    "GIT_CONFIG_VALUE_0": "never",
    "GIT_CONFIG_KEY_1": "log.showSignature",
    "GIT_CONFIG_VALUE_1": "false",
}
_PATH = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+/-]*$")
_RELEASE = re.compile(r"^v(\d+)\.(\d+)$")


def safe_path(path: str) -> bool:
    """A relative path with no ``..``, no ``:`` and no leading ``-`` (it goes into ``-L``)."""
    return bool(_PATH.match(path)) and ".." not in path.split("/")


def _norm(title: str) -> str:
    return " ".join(title.split()).lower()


class History:
    """One repository, read through git plumbing; blobs and function images memoised."""

    def __init__(self, repo_path: Path) -> None:
        self.path = repo_path
        self._git: Git = open_repo(repo_path).with_env(**_SAFE_ENV)
        self._blobs: dict[tuple[str, str], str | None] = {}

    def _out(self, *args: str) -> str:
        result = self._git.run(args, check=False)
        return result.stdout.decode(errors="replace") if result.returncode == 0 else ""

    def _commit(self, rev: str) -> str | None:
        return self._out("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").strip() or None

    def resolve(self, sha: str) -> str | None:
        """The full hex of commit ``sha`` (hex only), None when the tree does not have it."""
        return self._commit(sha) if is_hex(sha) else None

    def branch_head(self, branch: str) -> str | None:
        """The commit a branch of the user's configuration names (``HEAD`` by default)."""
        return self._commit(branch) if branch and not branch.startswith("-") else None

    def release(self, version: str) -> str | None:
        """The commit of release tag ``v<version>`` (``5.10``), None when the tree lacks it."""
        m = _RELEASE.match(f"v{version}")
        return self._commit(f"refs/tags/{m.group(0)}") if m else None

    def previous_release(self, version: str) -> str | None:
        """The newest release tag (``vX.Y``, no -rc) older than ``version``, as ``X.Y``."""
        m = _RELEASE.match(f"v{version}")
        if m is None:
            return None
        want = (int(m.group(1)), int(m.group(2)))
        found = [(int(r.group(1)), int(r.group(2)))
                 for name in self._out("for-each-ref", "--format=%(refname:lstrip=2)", "refs/tags/").split()
                 if (r := _RELEASE.match(name))]
        older = [v for v in found if v < want]
        return "{}.{}".format(*max(older)) if older else None

    def title(self, commit: str) -> str:
        return self._out("log", *_LOG_SAFETY, "-1", "--format=%s", commit).strip()

    def parent(self, commit: str) -> str | None:
        """The first parent; None for a root commit."""
        return self._commit(commit + "^") if is_hex(commit) else None

    def find_by_title(self, title: str, start: str, paths: Sequence[str], *, limit: int) -> str | None:
        """The newest commit before ``start`` whose subject is ``title`` and that touches ``paths``."""
        if not title or not is_hex(start) or not all(safe_path(p) for p in paths):
            return None
        out = self._out("log", *_LOG_SAFETY, f"--max-count={limit}", "--format=%H%x00%s", "--fixed-strings",
                        f"--grep={title}", start, "--", *paths)
        for line in out.splitlines():
            sha, _, subject = line.partition("\0")
            if _norm(subject) == _norm(title):
                return sha
        return None

    def _blob(self, commit: str, path: str) -> str | None:
        key = (commit, path)
        if key not in self._blobs:
            data = self._git.blob(f"{commit}:{path}") if is_hex(commit) and safe_path(path) else None
            self._blobs[key] = data.decode(errors="replace") if data is not None else None
        return self._blobs[key]

    def images(self, commit: str, functions: Iterable[tuple[str, str]]) -> dict[str, FunctionImage | None]:
        """Each (name, path)'s source at ``commit``; None where the file or function is absent."""
        out: dict[str, FunctionImage | None] = {}
        for name, path in functions:
            text = self._blob(commit, path)
            span = None
            if text is not None:
                span = next((f for f in find_functions(text, path) if f.name == name), None)
            out[name] = None if span is None or text is None else FunctionImage(
                name=name, path=path, start_line=span.start_line, end_line=span.end_line,
                source=span.source(text.split("\n")), problems=span.problems)
        return out

    def walk(self, start: str, images: Mapping[str, FunctionImage], *, limit: int) -> list[CommitRef]:
        """The commits from ``start`` back that changed any of the functions (their line ranges at
        ``start``), newest first, at most ``limit``."""
        ranges = [f"{im.start_line},{im.end_line}:{im.path}" for im in images.values()
                  if safe_path(im.path) and 0 < im.start_line <= im.end_line]
        if not ranges or not is_hex(start):
            return []
        args = ["log", *_LOG_SAFETY, "-s", f"--max-count={limit}", "--format=%H%x00%s"]
        for r in ranges:
            args += ["-L", r]
        out = self._out(*args, start, "--")
        commits = []
        for line in out.splitlines():
            sha, sep, subject = line.partition("\0")
            if sep and is_hex(sha):
                commits.append(CommitRef(sha, subject))
        return commits
