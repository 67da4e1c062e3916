"""The kernel tree's own scripts/checkpatch.pl on the revision, findings mapped to file:line.

What it finds: whatever the base tree's checkpatch.pl reports (ERROR, WARNING, CHECK) on the
revision as a patch: commit message and diff. ``[checks.checkpatch] strict = true`` adds
``--strict``.

How it runs, and why that way: the script is read from the *base* commit (the user's tree, before
the revision: a patch that edits scripts/checkpatch.pl cannot get its own code run), and only
when a branch, tag or remote branch of the user's contains that commit (never a synthetic
base built from e-mail); for a revision the tree already has, from the branch itself. It runs as maintainers run it, from the tree's root and with the tree:
the files it reads there (the top-level files it checks for, MAINTAINERS and
scripts/get_maintainer.pl, the include/linux header an ``#include <asm/...>`` names, the DT
bindings a ``compatible`` string names) are exported from the base commit into a scratch root,
and git runs on the user's repository (``GIT_DIR``), so commit ids are looked up in its
history. Nothing is checked out. A base that is not a whole kernel tree (an excerpt) gets
``--no-tree``. What checkpatch said is kept per (base tree, patch, options): reviewing the same
revision again does not run perl.

A commit id checkpatch cannot find is not always the patch's fault: in a tree whose history
starts at a release (a snapshot) or a shallow clone, older ids cannot be found. Such an
``UNKNOWN_COMMIT_ID`` is reported as "could not verify", severity info, saying why; an id the
repository has by now is dropped. Sketches (partial diffs in replies) are not submissions and
are not checked. Not exported: scripts/spdxcheck.py (SPDX ids are not validated) and the
include/ headers --strict's CamelCase check seeds its list from (it sees none).
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from reviewer.check_api import (
    COMMIT_MESSAGE,
    CheckError,
    CheckInfo,
    Confidence,
    Finding,
    RevisionContext,
    Severity,
    Side,
    TreeView,
)
from reviewer.model import RevisionKind

INFO = CheckInfo(
    id="checkpatch",
    title="scripts/checkpatch.pl of the base tree",
    severity=Severity.WARNING,
    rationale="""The kernel's own style and commit-message checker, as maintainers run it.""",
    false_positives="""checkpatch's own (it says so: "if any of these errors are false
positives, report them to the maintainer"); CHECK-level items are subjective.""",
    confidence=Confidence.MODERATE,
    references=("Documentation/dev-tools/checkpatch.rst",),
)

# checkpatch.pl's top_of_kernel_tree(): what must exist at the root for it to run with a tree.
_KERNEL_TOP = ("COPYING", "CREDITS", "Kbuild", "MAINTAINERS", "Makefile", "README",
               "Documentation", "arch", "include", "drivers", "fs", "init", "ipc", "kernel",
               "lib", "scripts")
# Files checkpatch.pl opens beside itself ($D/...) or runs; missing ones it tolerates.
_SCRIPTS = ("checkpatch.pl", "spelling.txt", "const_structs.checkpatch", "get_maintainer.pl")
_DT_BINDINGS = "Documentation/devicetree/bindings"
_ASM_INCLUDE = re.compile(r"^\+\s*#\s*include\s*<asm/(.*)\.h>", re.MULTILINE)
_COMPATIBLE = re.compile(r"^\+.*\bcompatible\s*=\s*\"", re.MULTILINE)
_LEVELS = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING, "CHECK": Severity.INFO}
# "WARNING:TYPE: message" (--show-types), then "#12: FILE: path:line:" or just "#12:".
_HEAD = re.compile(r"^(ERROR|WARNING|CHECK):(?:([A-Z0-9_]+):)?\s*(.*)$")
_WHERE = re.compile(r"^#(\d+):\s*(?:FILE:\s*(.+?):(\d+):)?")
_UNKNOWN_ID = re.compile(r"Unknown commit id '([0-9a-fA-F]+)'")
_VERSION = re.compile(r"^(VERSION|PATCHLEVEL|SUBLEVEL)\s*=\s*(\d+)\s*$", re.MULTILINE)
_FIRST_RELEASE_IN_GIT = (2, 6, 12)
"""The kernel's git history starts at 2.6.12-rc2: a root commit of a later release is a snapshot."""
_TIMEOUT = 120.0


def _patch_text(ctx: RevisionContext) -> tuple[str, int]:
    """The revision as a mail checkpatch reads, and the patch line where the message starts."""
    rev = ctx.revision
    header = f"From: {rev.author}\nSubject: [PATCH] {rev.title}\n\n"
    message = ctx.commit_message.rstrip("\n") + "\n"
    return header + message + "---\n" + rev.diff, header.count("\n") + 1


def _make_root(base: TreeView, patch: str, files: Sequence[str], root: Path) -> bool:
    """The files checkpatch reads from the tree, under ``root``; False: not a whole kernel tree.
    ``files``: the revision's files (get_maintainer.pl looks each up, for ``OBSOLETE``)."""
    top = base.names()
    if base.export([f"scripts/{name}" for name in _SCRIPTS], root) == []:
        return False
    if not all(name in top for name in _KERNEL_TOP):
        return False
    base.export([n for n in _KERNEL_TOP if top[n] == "blob"], root)
    for name in _KERNEL_TOP:
        if top[name] == "tree":
            (root / name).mkdir(exist_ok=True)
    base.export([*files, *(f"include/linux/{m}.h" for m in _ASM_INCLUDE.findall(patch))], root)
    if _COMPATIBLE.search(patch):
        base.export(base.names(_DT_BINDINGS, recursive=True), root)
    return True


def _run(base: TreeView, patch: str, files: Sequence[str], strict: bool) -> dict[str, str] | None:
    """checkpatch.pl's output on ``patch`` against ``base``; None when it cannot run there."""
    if base.read("scripts/checkpatch.pl") is None or not base.in_user_refs():
        return None
    perl = shutil.which("perl")
    if perl is None:
        raise CheckError("the base tree has scripts/checkpatch.pl but perl is not installed")
    with tempfile.TemporaryDirectory(prefix="reviewer-checkpatch-") as tmp:
        root = Path(tmp) / "tree"
        with_tree = _make_root(base, patch, files, root)
        (Path(tmp) / "revision.patch").write_text(patch, errors="surrogateescape")
        args = [perl, str(root / "scripts" / "checkpatch.pl"), "--no-color", "--show-types",
                "--no-summary", "-q", *(["--strict"] if strict else []),
                *([] if with_tree else ["--no-tree"]), str(Path(tmp) / "revision.patch")]
        result = subprocess.run(args, cwd=root, capture_output=True, text=True, timeout=_TIMEOUT,
                                env=base.program_env(Path(tmp)), check=False)
    if result.returncode not in (0, 1):
        raise CheckError(f"checkpatch.pl exited {result.returncode}: {result.stderr.strip()[:200]}")
    how = "run from the tree's root" if with_tree else "run with --no-tree (not a whole kernel tree)"
    flags = " ".join(a for a in args[2:-1] if a.startswith("--"))
    return {"stdout": result.stdout, "how": f"scripts/checkpatch.pl {flags}, {how}"}


def _kernel_version(makefile: bytes | None) -> tuple[int, ...] | None:
    fields = dict(_VERSION.findall((makefile or b"").decode(errors="replace")))
    if {"VERSION", "PATCHLEVEL", "SUBLEVEL"} - fields.keys():
        return None
    return tuple(int(fields[k]) for k in ("VERSION", "PATCHLEVEL", "SUBLEVEL"))


def _history_gap(base: TreeView) -> str | None:
    """Why the repository cannot tell a wrong commit id from an old one, or None when it can."""
    if base.git.out("rev-parse", "--is-shallow-repository") == "true":
        return "the repository is a shallow clone"
    roots = base.remember(("history-roots", base.commit),
                          lambda: base.git.out("rev-list", "--max-parents=0", base.commit).split())
    for root in roots or ():
        version = _kernel_version(base.at(root).read("Makefile"))
        if version is not None and version > _FIRST_RELEASE_IN_GIT:
            release = ".".join(map(str, version))
            return f"its history starts at {root[:12]}, a snapshot of Linux {release}"
    return None


def _parse(ctx: RevisionContext, base: TreeView, output: str, how: str,
           message_first: int) -> Iterator[Finding]:
    lines = output.split("\n")
    message_lines = ctx.commit_message.rstrip("\n").count("\n") + 1
    for i, line in enumerate(lines):
        head = _HEAD.match(line)
        where = _WHERE.match(lines[i + 1]) if head and i + 1 < len(lines) else None
        if head is None:
            continue
        level, kind, text = head.group(1), head.group(2) or "", head.group(3)
        file, at = "", 0
        if where is not None and where.group(2):
            file, at = where.group(2), int(where.group(3))
        elif where is not None:
            patch_line = int(where.group(1))
            if 0 <= patch_line - message_first < message_lines:
                file, at = COMMIT_MESSAGE, patch_line - message_first + 1
        quoted = []
        for follow in lines[i + 2 :]:
            if not follow.strip() or _HEAD.match(follow):
                break
            quoted.append(follow)
        key, message, severity = f"{kind or level}: {text}", text, _LEVELS[level]
        unknown = _UNKNOWN_ID.search(text) if kind == "UNKNOWN_COMMIT_ID" else None
        if unknown is not None:
            if base.resolve(unknown.group(1)) is not None:
                continue  # the repository has it by now: checkpatch's answer is out of date
            gap = _history_gap(base)
            if gap is not None:
                key = f"{kind}: could not verify {unknown.group(1)}"
                message = (f"could not verify commit id '{unknown.group(1)}': not in this "
                           f"repository, and {gap}, so older commits cannot be looked up")
                severity = Severity.INFO
        yield INFO.finding(
            ctx,
            file=file,
            line=at,
            key=key,
            message=f"checkpatch {level}{':' + kind if kind else ''}: {message}",
            evidence=(*quoted[:3], how),
            symbols=(kind,) if kind else (),
            severity=severity,
        )


def check(ctx: RevisionContext) -> Iterable[Finding]:
    applied = ctx.applied
    if (ctx.side is not Side.REVISION or ctx.tree is None or applied is None
            or ctx.revision.kind is RevisionKind.SKETCH):
        return
    base = ctx.tree.at(applied.base)
    if applied.already_in is not None:
        # The base is the branch with the revision taken out (made here, in no branch); the
        # script and the files it reads come from the branch itself.
        branch = base.parent()
        if branch is None:
            return
        base = ctx.tree.at(branch)
    strict = ctx.options.get("strict") is True
    patch, message_first = _patch_text(ctx)
    digest = hashlib.sha256(patch.encode(errors="surrogateescape")).hexdigest()
    ran = base.remember(("checkpatch", "--strict" if strict else "", digest),
                        lambda: _run(base, patch, applied.files, strict))
    if ran is not None:
        yield from _parse(ctx, base, ran["stdout"], ran["how"], message_first)
