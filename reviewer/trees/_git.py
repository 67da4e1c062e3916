"""Git plumbing on a repository, never its work tree, index, HEAD or branches.

GitPython opens and validates the repository; the plumbing commands run through one
``subprocess`` call each, with an explicit environment: ``GIT_INDEX_FILE`` points at a private
temporary index whenever a command needs an index, so the user's index file is never opened
for writing.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import git

from .._errors import TreeError

__all__ = ["EMPTY_TREE", "Git", "GitResult", "open_repo", "ref_component"]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

_SAFE_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # no opportunistic index refresh
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",  # stable messages to parse (hunk offsets, errors)
    "GIT_CONFIG_NOSYSTEM": "1",
}


_INHERITED_REPO_VARS = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE"}
)


@dataclass(frozen=True, slots=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: str


@dataclass(frozen=True, slots=True)
class Git:
    """Runs git against one repository's object store and refs."""

    git_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)

    def with_env(self, **extra: str) -> Git:
        return Git(self.git_dir, {**self.env, **extra})

    def run(
        self, args: Sequence[str], *, input: bytes | None = None, check: bool = True
    ) -> GitResult:
        # Inherited repository variables (a git hook's GIT_INDEX_FILE, say) must not redirect us.
        env = {k: v for k, v in os.environ.items() if k not in _INHERITED_REPO_VARS}
        env.update(_SAFE_ENV)
        env.update(self.env)
        cmd = ["git", f"--git-dir={self.git_dir}", *args]
        try:
            proc = subprocess.run(cmd, input=input, capture_output=True, env=env, check=False)
        except OSError as exc:
            raise TreeError(f"{self.git_dir}: cannot run git: {exc.strerror}") from exc
        result = GitResult(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))
        if check and proc.returncode != 0:
            first = result.stderr.strip().splitlines()[:1] or ["(no message)"]
            raise TreeError(f"{self.git_dir}: git {args[0]} failed: {first[0]}")
        return result

    def out(self, *args: str, input: bytes | None = None) -> str:
        return self.run(args, input=input).stdout.decode(errors="replace").strip()

    def ok(self, *args: str) -> bool:
        return self.run(args, check=False).returncode == 0

    def blob(self, spec: str) -> bytes | None:
        """The bytes of ``<commit>:<path>`` (or a blob id); None when it does not exist."""
        result = self.run(["cat-file", "blob", spec], check=False)
        return result.stdout if result.returncode == 0 else None


def open_repo(path: Path) -> Git:
    """The repository at ``path`` (a work tree or a bare repository)."""
    try:
        repo = git.Repo(path)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise TreeError(f"{path}: not a git repository") from exc
    return Git(Path(repo.git_dir).resolve())


def ref_component(text: str) -> str:
    """``text`` made safe as one component of a ref name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".")
    safe = safe.replace("..", "_")
    if safe.endswith(".lock"):
        safe = safe[: -len(".lock")] + "_lock"
    return safe or "_"
