"""The ``Fixes:`` trailer's format, and its subject against the tree.

What it finds: a ``Fixes:`` line that is not ``Fixes: <12+ hex digits> ("<subject>")`` --
a short hash, a missing hash, a subject without the ``("...")`` around it -- and, when the tree
has the commit, a subject that is not that commit's subject.

Why it matters: stable maintainers and tools (git log --grep, the stable scripts, b4) parse the
trailer in exactly that form (Documentation/process/submitting-patches.rst); a short hash
becomes ambiguous as the tree grows, and a wrong subject points at the wrong change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from reviewer.check_api import (
    COMMIT_MESSAGE,
    CheckInfo,
    Confidence,
    Finding,
    RevisionContext,
    Severity,
)

INFO = CheckInfo(
    id="fixes-tag",
    title="Fixes: trailer format and subject",
    severity=Severity.WARNING,
    rationale="""A Fixes: trailer must read Fixes: <at least 12 hex digits> ("<subject>"), the
subject being the fixed commit's own subject line.""",
    false_positives="""Subjects re-wrapped or shortened on purpose; hashes of commits only in
another tree (then only the format is checked).""",
    confidence=Confidence.HIGH,
    references=("Documentation/process/submitting-patches.rst",),
)

_FIXES = re.compile(r"^\s*fixes:\s*(.*?)\s*$", re.IGNORECASE)
_HASH = re.compile(r"^([0-9a-fA-F]+)\b\s*(.*)$")
_QUOTED = re.compile(r'^\("(.*)"\)$')


def _fixes_lines(ctx: RevisionContext) -> list[tuple[int, str]]:
    """(1-based line in the commit message, value) of every Fixes: line."""
    found = [(i + 1, m.group(1)) for i, line in enumerate(ctx.commit_message.split("\n"))
             if (m := _FIXES.match(line))]
    if not found:
        found = [(t.line + 1, t.value) for t in ctx.trailers if t.name.lower() == "fixes"]
    return found


def _problems(ctx: RevisionContext, value: str) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    """(key, message, symbols) for each problem of one trailer value."""
    m = _HASH.match(value)
    if m is None:
        yield "no-hash", f"Fixes: {value} does not start with a commit hash", ()
        return
    sha, rest = m.group(1), m.group(2).strip()
    if len(sha) < 12:
        yield (f"short-hash {sha}", f"Fixes: {sha} abbreviates the commit hash to {len(sha)} digits; "
               "use at least 12", (sha,))
    quoted = _QUOTED.match(rest)
    subject = quoted.group(1) if quoted else rest.strip("()\"'")
    if quoted is None:
        yield (f"unquoted-subject {sha}",
               f'Fixes: {sha} {rest} misses ("...") around the subject; write '
               f'Fixes: {sha[:12]} ("{subject}")', (sha,))
    if ctx.tree is None:
        return
    full = ctx.tree.resolve(sha)
    if full is None:
        return
    actual = ctx.tree.subject(full)
    if subject != actual:
        yield (f"wrong-subject {sha}",
               f'Fixes: {sha} names the subject "{subject}", but commit {full[:12]} in the tree '
               f'is "{actual}"', (sha, full[:12]))


def check(ctx: RevisionContext) -> Iterable[Finding]:
    for line, value in _fixes_lines(ctx):
        for key, message, symbols in _problems(ctx, value):
            yield INFO.finding(
                ctx,
                file=COMMIT_MESSAGE,
                line=line,
                key=key,
                message=message,
                evidence=(f"Fixes: {value}",),
                symbols=("Fixes", *symbols),
            )
