"""The public plug-in API for ``checks/*.py``, their loader, the runner and the classification.

A check is one Python file (like one ``scripts/coccinelle/*.cocci`` rule) with two names::

    INFO = CheckInfo(
        id="read-after-put",
        title="Page state read after a put that may drop the last reference",
        severity=Severity.WARNING,
        rationale=\"\"\"What it finds and why it matters.\"\"\",
        false_positives=\"\"\"When it is wrong.\"\"\",
        confidence=Confidence.MODERATE,
        references=("https://lore.kernel.org/...",),
    )

    def check(ctx: RevisionContext) -> Iterable[Finding]:
        for fn in ctx.functions:
            ...
            yield INFO.finding(ctx, file=fn.path, line=fn.line(node), message=..., key=...)

The runner calls ``check`` twice per revision: on the base (``ctx.side is Side.BASE``: the
pre-images of the touched functions, the base tree, no commit message) and on the revision
(post-images, the applied tree, its commit message and trailers). A finding on the revision side
only is *introduced*, on both sides *pre-existing*, on the base side only *fixed*; findings are
matched by (check, function, key), never by line, as the simulator matches violations.

Check files are the project's own (``checks/``) or folders the user configured
(``[checks] dirs``); they are imported by path and never come from e-mail. A check that fails to
import or raises becomes an error finding naming the check and the exception; the run goes on.
"""

from __future__ import annotations

import enum
import hashlib
import importlib.util
import re
import sys
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

import git
import tree_sitter
from unidiff.patch import PatchSet

from ._check_support import GrepHit, TreeView, call_arguments, call_name, is_hex, walk
from ._config import ChecksConfig
from ._errors import ConfigError, ReviewerError, TreeError
from .cparse import parse_c
from .model import (
    AppliedRevision,
    Finding,
    FunctionImage,
    Revision,
    Severity,
    Status,
    TouchedFunction,
    Trailer,
)
from .trees import hardened_env

__all__ = [
    "COMMIT_MESSAGE",
    "CheckError",
    "CheckInfo",
    "CheckResult",
    "Confidence",
    "Finding",
    "FunctionContext",
    "GrepHit",
    "LoadedCheck",
    "RevisionContext",
    "Severity",
    "Side",
    "Status",
    "TreeView",
    "build_context",
    "builtin_checks_dir",
    "call_arguments",
    "call_name",
    "check_revision",
    "classify",
    "finding_to_json",
    "load_check_file",
    "load_checks",
    "run_checks",
    "walk",
]

COMMIT_MESSAGE = "COMMIT_MSG"
"""``Finding.file`` of findings about the commit message (line: 1-based in the message)."""

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class CheckError(ReviewerError):
    """A check file is malformed (no INFO, no check(), bad metadata, duplicate id)."""


class Side(enum.Enum):
    BASE = "base"
    """The pre-images and the base tree: what the tree looked like before the revision."""
    REVISION = "revision"
    """The post-images, the applied tree and the revision's commit message."""


class Confidence(enum.Enum):
    HIGH = "high"
    """Few false positives: the pattern is wrong whatever the surrounding code does."""
    MODERATE = "moderate"
    """The pattern is usually wrong; the docstring lists the exceptions."""
    LOW = "low"
    """A heuristic pointer for a human to look at (tree-wide greps)."""


@dataclass(frozen=True, slots=True)
class CheckInfo:
    """A check's metadata: the coccinelle header fields, as typed values."""

    id: str
    title: str
    severity: Severity
    rationale: str
    """What it finds and why it matters (quotable in a review reply)."""
    false_positives: str
    confidence: Confidence
    references: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not _ID_RE.match(self.id):
            raise CheckError(f"check id {self.id!r}: use lower-case letters, digits, '.', '-', '_'")
        for name in ("title", "rationale", "false_positives"):
            if not getattr(self, name).strip():
                raise CheckError(f"check {self.id}: INFO.{name} is empty")

    def finding(
        self,
        ctx: RevisionContext,
        *,
        file: str,
        line: int,
        message: str,
        key: str = "",
        function: str = "",
        evidence: Iterable[str] = (),
        symbols: Iterable[str] = (),
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this check on ``ctx``'s revision; ``key`` must not contain line numbers."""
        return Finding(
            check=self.id,
            severity=severity or self.severity,
            revision_id=ctx.revision.id,
            file=file,
            line=line,
            message=message,
            evidence=tuple(evidence),
            symbols=tuple(dict.fromkeys(symbols)),
            function=function,
            key=key,
        )


# --------------------------------------------------------------------------- contexts


@dataclass(frozen=True)
class FunctionContext:
    """One touched function as a check sees it on one side, with lazily parsed trees."""

    touched: TouchedFunction
    side: Side

    @property
    def name(self) -> str:
        return self.touched.name

    @property
    def path(self) -> str:
        return self.touched.path

    @property
    def image(self) -> FunctionImage:
        """The image on this side (pre-image on the base side, post-image on the revision)."""
        image = self.touched.pre if self.side is Side.BASE else self.touched.post
        if image is None:
            raise CheckError(f"{self.path}: {self.name} has no {self.side.value} image")
        return image

    @cached_property
    def tree(self) -> tree_sitter.Tree:
        return parse_c(self.image.source)

    @cached_property
    def pre_tree(self) -> tree_sitter.Tree | None:
        return None if self.touched.pre is None else parse_c(self.touched.pre.source)

    @cached_property
    def post_tree(self) -> tree_sitter.Tree | None:
        return None if self.touched.post is None else parse_c(self.touched.post.source)

    @cached_property
    def definition(self) -> tree_sitter.Node | None:
        """The ``function_definition`` node of this side's image."""
        for node in walk(self.tree.root_node):
            if node.type == "function_definition":
                return node
        return None

    @property
    def body(self) -> tree_sitter.Node | None:
        return None if self.definition is None else self.definition.child_by_field_name("body")

    @property
    def analysable(self) -> bool:
        """Whole enough for path analysis: complete, or (a synthetic base's partial image whose
        unknown lines are only around it, e.g. a signature from a hunk header) parsed without errors."""
        body = self.body
        return body is not None and (self.image.complete or not body.has_error)

    def line(self, node: tree_sitter.Node) -> int:
        """The 1-based line of ``node`` in the image's file."""
        return self.image.start_line + node.start_point.row

    def text(self, node: tree_sitter.Node) -> str:
        return "" if node.text is None else node.text.decode(errors="replace")

    def source_line(self, line: int) -> str:
        """The source of file line ``line`` (stripped), empty when outside the image."""
        lines = self.image.source.split("\n")
        index = line - self.image.start_line
        return lines[index].strip() if 0 <= index < len(lines) else ""

    def evidence(self, node: tree_sitter.Node) -> str:
        """``path:line: source`` for the line ``node`` starts on."""
        line = self.line(node)
        return f"{self.path}:{line}: {self.source_line(line)}"


@dataclass(frozen=True)
class RevisionContext:
    """Everything a check sees of one side of one revision."""

    revision: Revision
    applied: AppliedRevision | None
    """None when the revision was not applied (no functions, no tree)."""
    side: Side
    functions: tuple[FunctionContext, ...]
    """The touched functions that have an image on this side."""
    commit_message: str
    """The revision's commit message on the revision side; empty on the base side."""
    trailers: tuple[Trailer, ...]
    tree: TreeView | None
    """The base commit (base side) or applied commit (revision side); None without a real tree."""

    @cached_property
    def patch(self) -> PatchSet:
        """The revision's diff, parsed (both sides: it says what the revision touches)."""
        return PatchSet(_with_source_headers(self.revision.diff))


def _with_source_headers(diff: str) -> str:
    """Sketches posted in replies often start at ``+++ b/path``; unidiff needs the ``---`` line."""
    lines = diff.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        starts_file = line.startswith("+++ ") and lines[i + 1 : i + 2] != [] and lines[i + 1].startswith("@@")
        if starts_file and not (i and lines[i - 1].startswith("--- ")):
            path = line[4:].strip()
            out.append("--- a/" + path.removeprefix("b/"))
        out.append(line)
    return "\n".join(out)


def build_context(
    revision: Revision,
    applied: AppliedRevision | None,
    side: Side,
    *,
    repo: git.Repo | None = None,
) -> RevisionContext:
    """The context ``check()`` gets for ``side`` of ``revision``.

    The tree is ``repo`` (else ``applied.repo_path``) at the base or applied commit; none for a
    synthetic base, whose files come from the e-mail's own hunks.
    """
    touched = () if applied is None else applied.functions
    functions = tuple(
        FunctionContext(t, side)
        for t in touched
        if (t.pre if side is Side.BASE else t.post) is not None
    )
    tree = None
    if repo is None and applied is not None and applied.repo_path and not applied.synthetic:
        try:
            repo = git.Repo(applied.repo_path)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise TreeError(f"{applied.repo_path}: not a git repository") from exc
        repo.git.update_environment(**hardened_env(Path(repo.git_dir)))
    if repo is not None and applied is not None and not applied.synthetic:
        commit = applied.base if side is Side.BASE else (applied.commit if applied.applied else None)
        if commit and is_hex(commit):
            tree = TreeView(repo, commit)
    if side is Side.BASE:
        return RevisionContext(revision, applied, side, functions, "", (), tree)
    return RevisionContext(revision, applied, side, functions, revision.commit_message,
                           revision.trailers, tree)


# --------------------------------------------------------------------------- loading


CheckFunction = Callable[[RevisionContext], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class LoadedCheck:
    """One check file: its metadata and entry point, or why it could not be loaded."""

    path: Path
    info: CheckInfo | None
    run: CheckFunction | None = None
    error: str = ""
    """Set when the file could not be loaded; the run reports it as an error finding."""
    digest: str = ""
    """sha256 of the file (a cache key: a changed check re-runs only itself)."""

    @property
    def id(self) -> str:
        return self.info.id if self.info is not None else self.path.stem


def builtin_checks_dir() -> Path:
    """``checks/`` at the top of a source checkout, or its copy packaged into the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "checks", here / "_data" / "checks"):
        if candidate.is_dir():
            return candidate
    raise ConfigError("reviewer: the built-in checks/ folder is missing from the installation")


def load_check_file(path: Path) -> LoadedCheck:
    """Import one check file by path; failures are returned in ``LoadedCheck.error``, not raised."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return LoadedCheck(path, None, error=f"cannot read {path}: {exc.strerror}")
    digest = hashlib.sha256(data).hexdigest()
    # A unique module name per file and content: two folders may both have read_after_put.py.
    stem = re.sub(r"\W", "_", path.stem)
    name = f"reviewer_check_{stem}_{digest[:12]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return LoadedCheck(path, None, error=f"{path}: not importable", digest=digest)
    module = importlib.util.module_from_spec(spec)
    # dataclasses inside the check look their module up in sys.modules while it executes.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
        info = getattr(module, "INFO", None)
        run = getattr(module, "check", None)
        if not isinstance(info, CheckInfo):
            raise CheckError(f"{path}: no INFO = CheckInfo(...)")
        if not callable(run):
            raise CheckError(f"{path}: no check(ctx) function")
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        return LoadedCheck(path, None, error=f"failed to load: {_describe(exc, path)}", digest=digest)
    return LoadedCheck(path, info, run, digest=digest)


def load_checks(config: ChecksConfig | None = None, *, builtin: bool = True) -> tuple[LoadedCheck, ...]:
    """The built-in checks and those in ``config.dirs``, minus ``config.disabled``, by id."""
    config = config or ChecksConfig()
    folders = ([builtin_checks_dir()] if builtin else []) + list(config.dirs)
    loaded: list[LoadedCheck] = []
    seen: dict[str, Path] = {}
    for folder in folders:
        if not folder.is_dir():
            raise ConfigError(f"config: [checks] dirs: {folder} is not a folder")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            check = load_check_file(path)
            if check.id in config.disabled:
                continue
            if check.info is not None and check.id in seen:
                check = LoadedCheck(path, None, error=f"duplicate check id {check.id!r}, already loaded from {seen[check.id]}",
                                    digest=check.digest)
            elif check.info is not None:
                seen[check.id] = path
            loaded.append(check)
    return tuple(loaded)


# --------------------------------------------------------------------------- running


def _describe(exc: BaseException, path: Path) -> str:
    """``ValueError: msg at checks/x.py:42`` (the deepest frame inside the check file)."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path.resolve():
            where = f" at {path.name}:{frame.lineno}"
    if isinstance(exc, SyntaxError) and exc.lineno:
        where = f" at {path.name}:{exc.lineno}"
    return f"{type(exc).__name__}: {exc}{where}"


def _error_finding(check: LoadedCheck, revision: Revision, message: str) -> Finding:
    return Finding(
        check=check.id,
        severity=Severity.ERROR,
        revision_id=revision.id,
        file=str(check.path),
        line=0,
        message=f"check {check.id} {message}",
        key=f"check-error:{message}",
    )


def _run_side(
    ctx: RevisionContext, checks: Sequence[LoadedCheck]
) -> tuple[list[Finding], dict[tuple[LoadedCheck, str], list[str]]]:
    """The findings of every loaded check on one side, and {(check, exception): [side]}."""
    found: list[Finding] = []
    errors: dict[tuple[LoadedCheck, str], list[str]] = {}
    for check in checks:
        if check.run is None or check.info is None:
            continue
        try:
            for f in check.run(ctx):
                if not isinstance(f, Finding):
                    raise CheckError(f"yielded {type(f).__name__}, not a Finding")
                found.append(replace(f, check=check.info.id, revision_id=ctx.revision.id))
        except Exception as exc:
            errors.setdefault((check, _describe(exc, check.path)), []).append(ctx.side.value)
    return found, errors


def _match_key(f: Finding) -> tuple[str, str, str, str]:
    # Without an explicit key the message stands in, with numbers (line references) blanked.
    return (f.check, f.file, f.function, f.key or re.sub(r"\d+", "N", f.message))


def classify(base: Iterable[Finding], revision: Iterable[Finding]) -> tuple[Finding, ...]:
    """Revision findings as introduced / pre-existing, base-only findings as fixed (multiset match)."""
    pending: dict[tuple[str, str, str, str], list[Finding]] = {}
    for f in base:
        pending.setdefault(_match_key(f), []).append(f)
    out: list[Finding] = []
    for f in revision:
        twins = pending.get(_match_key(f))
        if twins:
            twins.pop(0)
            out.append(replace(f, status=Status.PRE_EXISTING))
        else:
            out.append(replace(f, status=Status.INTRODUCED))
    out.extend(replace(f, status=Status.FIXED) for twins in pending.values() for f in twins)
    return tuple(sorted(out, key=lambda f: (f.file, f.line, f.check, f.message)))


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Both sides of one revision's check run (the simulator's SimulationResult, for checks)."""

    revision: tuple[Finding, ...]
    """Classified introduced / pre-existing / fixed, plus error findings of broken checks."""
    base: tuple[Finding, ...]
    """The base's own findings, at the base's lines, as pre-existing."""


def run_checks(
    revision: Revision,
    applied: AppliedRevision | None,
    base_context: RevisionContext | None,
    checks: Sequence[LoadedCheck],
    *,
    repo: git.Repo | None = None,
) -> tuple[Finding, ...]:
    """The revision side of :func:`check_revision`."""
    return check_revision(revision, applied, base_context, checks, repo=repo).revision


def check_revision(
    revision: Revision,
    applied: AppliedRevision | None,
    base_context: RevisionContext | None,
    checks: Sequence[LoadedCheck],
    *,
    repo: git.Repo | None = None,
) -> CheckResult:
    """Run ``checks`` on the base and on ``revision`` and classify the findings against the base.

    ``base_context`` is the base side's context (``build_context(..., Side.BASE)``) when the
    caller already has one; None builds it from ``revision``, ``applied`` and ``repo``. Checks
    that failed to load or raised appear as error findings (severity error, once each).
    """
    base = base_context or build_context(revision, applied, Side.BASE, repo=repo)
    head = build_context(revision, applied, Side.REVISION, repo=repo)
    base_found, base_errors = _run_side(base, checks)
    head_found, head_errors = _run_side(head, checks)
    errors = [_error_finding(c, revision, c.error) for c in checks if c.run is None]
    for key, sides in base_errors.items():
        sides = sides + head_errors.pop(key, [])
        errors.append(_error_finding(key[0], revision, f"raised {key[1]} ({' and '.join(sides)} side)"))
    errors.extend(_error_finding(c, revision, f"raised {d} ({sides[0]} side)") for (c, d), sides in head_errors.items())
    base_own = tuple(replace(f, status=Status.PRE_EXISTING) for f in base_found)
    return CheckResult(classify(base_found, head_found) + tuple(errors), base_own)


def finding_to_json(f: Finding) -> dict[str, Any]:
    """The report's JSON object for one check finding."""
    return {
        "source": "check",
        "check": f.check,
        "severity": f.severity.value,
        "status": f.status.value,
        "file": f.file,
        "line": f.line,
        "message": f.message,
        "function": f.function,
        "symbols": list(f.symbols),
        "evidence": list(f.evidence),
    }
