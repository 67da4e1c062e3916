"""The kernel tree's own scripts/checkpatch.pl on the revision, findings mapped to file:line.

What it finds: whatever the base tree's checkpatch.pl reports (ERROR, WARNING, CHECK) on the
revision as a patch: commit message and diff.

How it runs, and why that way: the script is read from the *base* commit (the user's tree, before
the revision: a patch that edits scripts/checkpatch.pl cannot get its own code run), and only
when a branch, tag or remote branch of the user's contains that commit (never a synthetic
base built from e-mail). checkpatch.pl and the data files it reads beside itself are exported
into a temporary folder and run there with ``perl ... --no-tree``; nothing is checked out.
Sketches (partial diffs in replies) are not submissions and are not checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
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

# Files checkpatch.pl opens beside itself ($D/...); missing ones it tolerates.
_BESIDE = ("checkpatch.pl", "spelling.txt", "const_structs.checkpatch")
_LEVELS = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING, "CHECK": Severity.INFO}
# "WARNING:TYPE: message" (--show-types), then "#12: FILE: path:line:" or just "#12:".
_HEAD = re.compile(r"^(ERROR|WARNING|CHECK):(?:([A-Z0-9_]+):)?\s*(.*)$")
_WHERE = re.compile(r"^#(\d+):\s*(?:FILE:\s*(.+?):(\d+):)?")
_TIMEOUT = 120.0


def _patch_text(ctx: RevisionContext) -> tuple[str, int]:
    """The revision as a mail checkpatch reads, and the patch line where the message starts."""
    rev = ctx.revision
    header = f"From: {rev.author}\nSubject: [PATCH] {rev.title}\n\n"
    message = ctx.commit_message.rstrip("\n") + "\n"
    return header + message + "---\n" + rev.diff, header.count("\n") + 1


def _export(base: TreeView, into: Path) -> Path | None:
    scripts = into / "scripts"
    scripts.mkdir()
    for name in _BESIDE:
        data = base.read(f"scripts/{name}")
        if data is None and name == "checkpatch.pl":
            return None
        if data is not None:
            (scripts / name).write_bytes(data)
    return scripts / "checkpatch.pl"


def _parse(ctx: RevisionContext, output: str, message_first: int) -> Iterator[Finding]:
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
        yield INFO.finding(
            ctx,
            file=file,
            line=at,
            key=f"{kind or level}: {text}",
            message=f"checkpatch {level}{':' + kind if kind else ''}: {text}",
            evidence=tuple(quoted[:3]),
            symbols=(kind,) if kind else (),
            severity=_LEVELS[level],
        )


def check(ctx: RevisionContext) -> Iterable[Finding]:
    applied = ctx.applied
    if (ctx.side is not Side.REVISION or ctx.tree is None or applied is None
            or ctx.revision.kind is RevisionKind.SKETCH):
        return
    base = TreeView(ctx.tree.repo, applied.base)
    if not base.in_user_refs():
        return
    with tempfile.TemporaryDirectory(prefix="reviewer-checkpatch-") as tmp:
        script = _export(base, Path(tmp))
        if script is None:
            return
        perl = shutil.which("perl")
        if perl is None:
            raise CheckError("the base tree has scripts/checkpatch.pl but perl is not installed")
        patch, message_first = _patch_text(ctx)
        (Path(tmp) / "revision.patch").write_text(patch)
        result = subprocess.run(
            [perl, str(script), "--no-tree", "--no-color", "--show-types", "--no-summary", "-q",
             "revision.patch"],
            cwd=tmp, capture_output=True, text=True, timeout=_TIMEOUT, check=False,
        )
    if result.returncode not in (0, 1):
        raise CheckError(f"checkpatch.pl exited {result.returncode}: {result.stderr.strip()[:200]}")
    yield from _parse(ctx, result.stdout, message_first)
