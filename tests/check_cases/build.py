"""Small revisions made from C snippets, as the revisions and trees stages would produce them."""

from __future__ import annotations

import difflib
import hashlib
import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import git

from reviewer.check_api import LoadedCheck, load_check_file, run_checks
from reviewer.model import (
    Address,
    AppliedRevision,
    Finding,
    FunctionImage,
    Revision,
    RevisionKind,
    TouchedFunction,
    Trailer,
)

CHECKS = Path(__file__).resolve().parents[2] / "checks"
_TRAILER = re.compile(r"^([A-Z][A-Za-z-]+):\s+(.*)$")


def trailers_of(commit_message: str) -> tuple[Trailer, ...]:
    """The trailers of the message's last paragraph (line: 0-based in the message)."""
    lines = commit_message.rstrip().split("\n")
    last = commit_message.rstrip().split("\n\n")[-1].split("\n")
    first = len(lines) - len(last)
    return tuple(Trailer(name=m.group(1), value=m.group(2), line=first + i)
                 for i, line in enumerate(last) if (m := _TRAILER.match(line)))


def commit_files(repo: git.Repo, files: dict[str, str], message: str) -> str:
    """Write ``files`` into the work tree, commit them on the current branch; the commit's hex."""
    root = Path(repo.working_dir)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    repo.index.add(list(files))
    actor = git.Actor("Test", "test@example.org")
    return str(repo.index.commit(message, author=actor, committer=actor).hexsha)


def load(check_id: str) -> LoadedCheck:
    loaded = load_check_file(CHECKS / f"{check_id.replace('-', '_')}.py")
    assert loaded.error == "", loaded.error
    return loaded


def _name(source: str) -> str:
    m = re.search(r"(\w+)\s*\(", source)
    assert m, source
    return m.group(1)


def _lines(start: int, source: str | None) -> list[str]:
    return [f"/* {i} */\n" for i in range(1, start)] + ([] if source is None else source.splitlines(True))


@dataclass(frozen=True)
class Case:
    revision: Revision
    applied: AppliedRevision


def make_case(
    pre: str | None,
    post: str | None,
    *,
    path: str = "mm/page_alloc.c",
    start: int = 10,
    commit_message: str = "mm: a change\n\nSigned-off-by: A U Thor <a@example.org>\n",
    kind: RevisionKind = RevisionKind.FORMAL,
    base: str = "synthetic",
    commit: str | None = None,
    complete: bool = True,
) -> Case:
    """A revision changing one function from ``pre`` to ``post`` (dedented C), at line ``start``."""
    pre = textwrap.dedent(pre).lstrip("\n") if pre is not None else None
    post = textwrap.dedent(post).lstrip("\n") if post is not None else None
    diff = f"diff --git a/{path} b/{path}\n" + "".join(
        difflib.unified_diff(_lines(start, pre), _lines(start, post), f"a/{path}", f"b/{path}"))
    name = _name(pre or post or "")

    def image(source: str | None) -> FunctionImage | None:
        if source is None:
            return None
        return FunctionImage(name, path, start, start + source.count("\n") - 1, source, complete=complete)

    rev = Revision(
        id=hashlib.sha256(diff.encode()).hexdigest()[:12],
        label="v1",
        kind=kind,
        author=Address("A U Thor", "a@example.org"),
        date=datetime(2024, 1, 1, tzinfo=UTC),
        message_id="case@example.org",
        title=commit_message.split("\n")[0],
        commit_message=commit_message,
        trailers=trailers_of(commit_message),
        diff=diff,
    )
    applied = AppliedRevision(
        revision_id=rev.id,
        applied=True,
        base=base,
        base_how="synthetic" if base == "synthetic" else "branch master",
        commit=commit,
        synthetic=base == "synthetic",
        files=(path,),
        functions=(TouchedFunction(name, path, image(pre), image(post)),),
    )
    return Case(rev, applied)


def findings(case: Case, check_id: str, **kwargs: object) -> tuple[Finding, ...]:
    out = run_checks(case.revision, case.applied, None, [load(check_id)], **kwargs)  # type: ignore[arg-type]
    errors = [f for f in out if f.key.startswith("check-error:")]
    assert not errors, errors
    return out


def summary(found: tuple[Finding, ...]) -> set[tuple[str, str, int]]:
    """{(status, key, line)}: what the tests compare."""
    return {(f.status.value, f.key, f.line) for f in found}
