"""Git plumbing on a repository, never its work tree, index, HEAD or branches.

This is the one place the tree stage and the checks run git. Every command runs with the user's
hooks, fsmonitor, content filters and textconv drivers turned off (:data:`HARDENING`,
:func:`hardened_env`): reviewing mail must not run anything the repository configures.
``git rev-parse`` finds the repository; the plumbing commands run through one
``subprocess`` call each, with an explicit environment: ``GIT_INDEX_FILE`` points at a private
temporary index whenever a command needs an index, so the user's index file is never opened
for writing. Blobs are read through one long-lived ``git cat-file --batch`` per :class:`Git`
(and the copies :meth:`Git.with_env` makes of it), not a process per blob.
"""

from __future__ import annotations

import os
import re
import subprocess
import threading
import weakref
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .._errors import TreeError

__all__ = [
    "EMPTY_TREE",
    "HARDENING",
    "Git",
    "GitResult",
    "git_argv",
    "git_env",
    "hardened_env",
    "init_bare",
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


@dataclass(frozen=True, slots=True)
class GitResult:
    returncode: int
    stdout: bytes
    stderr: str


def git_argv(git_dir: Path, args: Sequence[str]) -> list[str]:
    """The command line of every git command of ours on the repository at ``git_dir``."""
    return ["git", f"--git-dir={git_dir}", *args]


def git_env(extra: Mapping[str, str] = {}) -> dict[str, str]:  # noqa: B006 (read only)
    """The environment every git command of ours runs with: :data:`HARDENING` always, and
    ``extra`` (a repository's :func:`hardened_env`, which neutralises its drivers too) on top."""
    # Inherited repository variables (a git hook's GIT_INDEX_FILE, say) must not redirect us.
    env = {k: v for k, v in os.environ.items()
           if k not in _INHERITED_REPO_VARS and not k.startswith(("GIT_CONFIG_KEY_", "GIT_CONFIG_VALUE_"))}
    env.update(_SAFE_ENV)
    env.update(_config_env(HARDENING))
    env.update(extra)
    return env


def hardened_env(git_dir: Path) -> dict[str, str]:
    """The variables to add for any git command on ``git_dir``: :data:`HARDENING`, and every
    filter and textconv driver the repository's config (or the user's global config, e.g.
    git-lfs) names, neutralised. Attributes come from the tree and cannot be turned off; their
    drivers' commands come from config and can."""
    proc = subprocess.run(git_argv(git_dir, ["config", "--null", "--name-only", "--get-regexp",
                                             r"^(filter|diff)\."]),
                          capture_output=True, env=git_env(), check=False)
    drivers = sorted({k for k in proc.stdout.decode(errors="replace").split("\0") if _DRIVER_KEY.match(k)})
    pairs = [*HARDENING, *((k, _NEUTRAL_DRIVER[k.rsplit(".", 1)[1]]) for k in drivers)]
    pairs += [(k.rsplit(".", 1)[0] + ".required", "false") for k in drivers if k.startswith("filter.")]
    return _config_env(pairs)


class _CatFile:
    """One ``git cat-file --batch`` process, started on first use, shared by threads."""

    def __init__(self, git_dir: Path, env: Mapping[str, str]) -> None:
        self._git_dir = git_dir
        self._env = env
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, spec: str) -> bytes | None:
        if "\n" in spec:
            return None
        with self._lock:
            proc = self._start()
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write(spec.encode(errors="surrogateescape") + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
            if not line:
                self._stop()
                raise TreeError(f"{self._git_dir}: git cat-file --batch stopped")
            if line.endswith((b" missing\n", b" ambiguous\n")):
                return None
            _oid, kind, size = line.split()
            data = proc.stdout.read(int(size) + 1)[: int(size)]
            return data if kind == b"blob" else None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            try:
                self._proc = subprocess.Popen(
                    git_argv(self._git_dir, ["cat-file", "--batch"]),
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                    env=git_env(self._env),
                )
            except OSError as exc:
                raise TreeError(f"{self._git_dir}: cannot run git: {exc.strerror}") from exc
            weakref.finalize(self, _CatFile._reap, self._proc)
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            _CatFile._reap(self._proc)
            self._proc = None

    def close(self) -> None:
        with self._lock:
            self._stop()

    @staticmethod
    def _reap(proc: subprocess.Popen[bytes]) -> None:
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        if proc.stdout is not None:
            proc.stdout.close()
        proc.wait()


@dataclass(frozen=True, slots=True)
class Git:
    """Runs git against one repository's object store and refs."""

    git_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    _objects: _CatFile | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self._objects is None:
            object.__setattr__(self, "_objects", _CatFile(self.git_dir, self.env))

    def with_env(self, **extra: str) -> Git:
        """The same repository (and blob reader) with more environment for the commands."""
        return Git(self.git_dir, {**self.env, **extra}, self._objects)

    def close(self) -> None:
        """Stop the blob reader (it starts again when needed)."""
        if self._objects is not None:
            self._objects.close()

    def run(
        self, args: Sequence[str], *, input: bytes | None = None, check: bool = True
    ) -> GitResult:
        env = git_env(self.env)
        cmd = git_argv(self.git_dir, args)
        try:
            proc = subprocess.run(cmd, input=input, capture_output=True, env=env, check=False)
        except OSError as exc:
            raise TreeError(f"{self.git_dir}: cannot run git: {exc.strerror}") from exc
        result = GitResult(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))
        if check and proc.returncode != 0:
            first = result.stderr.strip().splitlines()[:1] or ["(no message)"]
            raise TreeError(f"{self.git_dir}: git {args[0]} failed: {first[0]}")
        return result

    def run_all(self, commands: Sequence[Sequence[str]]) -> list[GitResult]:
        """Several read-only commands at once (one process each), their results in order."""
        if len(commands) == 1:
            return [self.run(commands[0], check=False)]
        env = git_env(self.env)
        procs = []
        try:
            for args in commands:
                procs.append(subprocess.Popen(git_argv(self.git_dir, args),
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
        except OSError as exc:
            raise TreeError(f"{self.git_dir}: cannot run git: {exc.strerror}") from exc
        with ThreadPoolExecutor(max_workers=len(procs)) as pool:
            outputs = list(pool.map(lambda proc: proc.communicate(), procs))
        return [GitResult(proc.returncode, out, err.decode(errors="replace"))
                for proc, (out, err) in zip(procs, outputs, strict=True)]

    def out(self, *args: str, input: bytes | None = None) -> str:
        return self.run(args, input=input).stdout.decode(errors="replace").strip()

    def ok(self, *args: str) -> bool:
        return self.run(args, check=False).returncode == 0

    def blob(self, spec: str) -> bytes | None:
        """The bytes of ``<commit>:<path>`` (or a blob id); None when it does not exist."""
        assert self._objects is not None
        return self._objects.read(spec)


def open_repo(path: Path) -> Git:
    """The repository at ``path``: the top of a work tree, a bare repository or a git directory
    (a folder inside a repository is not one: the search stops at ``path``)."""
    if not path.is_dir():
        raise TreeError(f"{path}: not a git repository")
    env = git_env({"GIT_CEILING_DIRECTORIES": str(path.resolve().parent)})
    try:
        proc = subprocess.run(["git", "rev-parse", "--absolute-git-dir"], cwd=path,
                              capture_output=True, env=env, check=False)
    except OSError as exc:
        raise TreeError(f"{path}: cannot run git: {exc.strerror}") from exc
    if proc.returncode != 0:
        raise TreeError(f"{path}: not a git repository")
    git_dir = Path(proc.stdout.decode(errors="surrogateescape").strip()).resolve()
    if git_dir != path.resolve() and git_dir.parent != path.resolve():
        raise TreeError(f"{path}: not a git repository (it is inside {git_dir.parent})")
    return Git(git_dir, hardened_env(git_dir))


def init_bare(path: Path) -> None:
    """Create a bare repository at ``path`` (the tool's own, for synthetic bases)."""
    try:
        proc = subprocess.run(["git", "init", "-q", "--bare", str(path)], capture_output=True,
                              env=git_env(), check=False)
    except OSError as exc:
        raise TreeError(f"{path}: cannot run git: {exc.strerror}") from exc
    if proc.returncode != 0:
        raise TreeError(f"{path}: cannot create a scratch repository: "
                        f"{proc.stderr.decode(errors='replace').strip()}")


def ref_component(text: str) -> str:
    """``text`` made safe as one component of a ref name."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in text).strip(".")
    safe = safe.replace("..", "_")
    if safe.endswith(".lock"):
        safe = safe[: -len(".lock")] + "_lock"
    return safe or "_"
