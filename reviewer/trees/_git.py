"""Git plumbing on a repository, never its work tree, index, HEAD or branches.

GitPython opens and validates the repository; the plumbing commands run through one
``subprocess`` call each, with an explicit environment: ``GIT_INDEX_FILE`` points at a private
temporary index whenever a command needs an index, so the user's index file is never opened
for writing. Every command (ours, and GitPython's and ``range-diff``'s through
:func:`hardened_env`) runs with the user's hooks, fsmonitor, content filters and textconv
drivers turned off: reviewing mail must not run anything the repository configures.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import git

from .._errors import TreeError

__all__ = [
    "EMPTY_TREE",
    "HARDENING",
    "Git",
    "GitResult",
    "base_env",
    "hardened_env",
    "open_repo",
    "ref_component",
]

EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

_SAFE_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",  # no opportunistic index refresh
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",  # stable messages to parse (hunk offsets, errors)
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_PAGER": "cat",
    "GIT_EDITOR": "true",
}

HARDENING: tuple[tuple[str, str], ...] = (
    ("core.hooksPath", "/dev/null"),  # no hook runs (update-ref runs reference-transaction)
    ("core.fsmonitor", "false"),  # no fsmonitor hook or daemon
    ("core.attributesFile", "/dev/null"),
    ("log.showSignature", "false"),  # no gpg for `git log`
    ("protocol.allow", "never"),  # no transport: no lazy fetch from a partial clone's remote
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
)
"""Config every git command of reviewer runs with (as ``-c``, through GIT_CONFIG_COUNT): none of
the user's hooks, fsmonitor, signature checks, fetches or background maintenance run."""

_DRIVER_KEY = re.compile(r"^(filter\..+\.(?:clean|smudge|process)|diff\..+\.textconv)$")
_NEUTRAL_DRIVER = {"clean": "", "smudge": "", "process": "", "textconv": "cat"}
"""What each configured content driver becomes: an empty filter is no filter; a textconv cannot
be empty, ``cat`` shows the blob as stored."""

_INHERITED_REPO_VARS = frozenset(
    {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_PREFIX", "GIT_NAMESPACE",
     "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_CONFIG", "GIT_EXTERNAL_DIFF"}
)


def _config_env(pairs: Sequence[tuple[str, str]]) -> dict[str, str]:
    env = {"GIT_CONFIG_COUNT": str(len(pairs))}
    for n, (key, value) in enumerate(pairs):
        env[f"GIT_CONFIG_KEY_{n}"] = key
        env[f"GIT_CONFIG_VALUE_{n}"] = value
    return env


def base_env() -> dict[str, str]:
    """The process environment without anything that redirects git or configures it."""
    return {k: v for k, v in os.environ.items()
            if k not in _INHERITED_REPO_VARS and not k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))}


def hardened_env(git_dir: Path) -> dict[str, str]:
    """The variables to add to :func:`base_env` for any git command on ``git_dir`` (ours, GitPython's,
    ``range-diff``'s): :data:`HARDENING`, and every filter and textconv driver the repository's
    config (or the user's global config, e.g. git-lfs) names, neutralised. Attributes come from
    the tree and cannot be turned off; their drivers' commands come from config and can."""
    env = {**base_env(), **_SAFE_ENV, **_config_env(HARDENING)}
    proc = subprocess.run(["git", f"--git-dir={git_dir}", "config", "--null", "--name-only",
                           "--get-regexp", r"^(filter|diff)\."], capture_output=True, env=env, check=False)
    drivers = sorted({k for k in proc.stdout.decode(errors="replace").split("\0") if _DRIVER_KEY.match(k)})
    pairs = [*HARDENING, *((k, _NEUTRAL_DRIVER[k.rsplit(".", 1)[1]]) for k in drivers)]
    pairs += [(k.rsplit(".", 1)[0] + ".required", "false") for k in drivers if k.startswith("filter.")]
    return {**_SAFE_ENV, **_config_env(pairs)}


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
        env = base_env()
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
    git_dir = Path(repo.git_dir).resolve()
    return Git(git_dir, hardened_env(git_dir))


def ref_component(text: str) -> str:
    """``text`` made safe as one component of a ref name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".")
    safe = safe.replace("..", "_")
    if safe.endswith(".lock"):
        safe = safe[: -len(".lock")] + "_lock"
    return safe or "_"
