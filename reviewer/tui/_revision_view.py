"""What the revisions screen, a revision's screen and the trace view show, read from a Review.

Pure functions, as in :mod:`._thread_view`: rows of the revisions table, a revision's diff with
gutter marks where its findings and traces land, its verdicts per scenario and configuration,
and where a trace's property breaks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Review, Revision, RevisionKind, RevisionReview, Status, Violation
from ..report._common import problems, sorted_revisions
from ..revisions import file_diffs
from ._thread_view import analysed

__all__ = [
    "DiffLine",
    "RevisionRow",
    "breaking_step",
    "diff_lines",
    "revision_rows",
    "verdict_rows",
]

PENDING = "…"


@dataclass(frozen=True, slots=True)
class RevisionRow:
    revision_id: str
    label: str
    kind: str
    author: str
    date: str
    applies: str
    introduced: str
    pre_existing: str
    fixed: str
    positions: str


def _applies(rr: RevisionReview) -> str:
    a = rr.applied
    if rr.revision.kind is RevisionKind.BASE:
        return "-"
    if a is None:
        return "not tried"
    if not a.applied:
        return f"NO: {a.error}" if a.error else "NO"
    return "yes, synthetic base" if a.synthetic else "yes"


def _row(rr: RevisionReview) -> RevisionRow:
    r = rr.revision
    def count(status: Status) -> str:
        return str(len(problems(rr, status)))

    standing = [p for p in rr.positions if p.standing]
    return RevisionRow(
        r.id, r.label, r.kind.value, r.author.display or "-",
        r.date.strftime("%d %b %Y") if r.kind is not RevisionKind.BASE else "-",
        _applies(rr), count(Status.INTRODUCED), count(Status.PRE_EXISTING), count(Status.FIXED),
        "; ".join(f"{p.stance.value} {p.person.display}" for p in standing),
    )


def revision_rows(review: Review, revisions: Sequence[Revision]) -> list[RevisionRow]:
    """The bases and the revisions analysed so far, then the ones still waiting."""
    rows = [_row(rr) for rr in sorted_revisions(review)]
    for r in revisions:
        if analysed(review, r.id) is None:
            rows.append(RevisionRow(r.id, r.label, r.kind.value, r.author.display, r.date.strftime("%d %b %Y"),
                                    PENDING, PENDING, PENDING, PENDING, ""))
    return rows


# --------------------------------------------------------------------------- a revision


@dataclass(frozen=True, slots=True)
class DiffLine:
    text: str
    kind: str
    """``file`` | ``hunk`` | ``add`` | ``del`` | ``context``."""
    finding: bool = False
    """A finding of the revision is on this line."""
    trace: bool = False
    """A trace of one of the revision's violations passes this line."""


def _same_path(a: str, b: str) -> bool:
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def diff_lines(revision: Revision, rr: RevisionReview | None) -> list[DiffLine]:
    """The revision's diff, each post-image line marked where a finding of ``rr`` or a trace
    lands (lines counted as the applied tree numbers them: the posted hunk plus the offset it
    applied at). No marks before the revision is analysed (``rr`` None)."""
    findings = {(f.file, f.line) for f in rr.findings if f.status is not Status.FIXED} if rr else set()
    traced = {(s.file, s.line) for v in rr.sim_verdicts for x in v.violations
              if x.status is not Status.FIXED for s in x.trace} if rr else set()
    offsets = {(o.path, o.hunk): o.offset for o in rr.applied.offsets} if rr and rr.applied else {}
    out: list[DiffLine] = []
    for f in file_diffs(revision):
        out += [DiffLine(line, "file") for line in f.patch_lines()[: 3 + len(f.extended)]]
        for number, hunk in enumerate(f.hunks, 1):
            out.append(DiffLine(hunk.header, "hunk"))
            line = hunk.new_start + offsets.get((f.path, number), 0)
            for text in hunk.lines:
                if text.startswith("-") or text.startswith("\\"):
                    out.append(DiffLine(text, "del" if text.startswith("-") else "context"))
                    continue
                at = [(p, n) for p, n in findings | traced if n == line and _same_path(p, f.path)]
                out.append(DiffLine(text, "add" if text.startswith("+") else "context",
                                    finding=any(a in findings for a in at),
                                    trace=any(a in traced for a in at)))
                line += 1
    return out


def verdict_rows(rr: RevisionReview) -> list[tuple[str, str, str, str, str]]:
    """(scenario, configuration, outcome, executions, violations or why not analysed)."""
    rows = []
    for v in rr.sim_verdicts:
        found = ", ".join(dict.fromkeys(f"{x.property} ({x.status.value})" for x in v.violations))
        rows.append((v.scenario, v.config.key, v.outcome, str(v.executions), found or v.reason))
    return rows


# --------------------------------------------------------------------------- trace

_LOCATION = re.compile(r"\b([\w./-]+\.[ch]):(\d+)\b")
_BREACH_EFFECTS = ("freed again", "bad_page(", "VM_BUG_ON")
"""Words the kernel model writes into a step's effect when the step itself breaks a property
(a free of a free page, a bad-page report, a VM_BUG_ON): reviewer/sim/model records them."""


def breaking_step(violation: Violation) -> int | None:
    """Index of the trace step to highlight as the one that breaks the property.

    The simulator judges properties on the final state and records no step, so this reads the
    trace: the step at the source line the violation's detail names (a stale read), else the
    first step whose effect reports the breach itself. None for a property only the final state
    shows (a charge still held, a css reference leaked): the view then marks the final-state
    rows.
    """
    named = _LOCATION.search(violation.detail)
    if named:
        path, line = named.group(1), int(named.group(2))
        hits = [i for i, s in enumerate(violation.trace) if s.line == line and _same_path(s.file, path)]
        if hits:
            return hits[0]
    hits = [i for i, s in enumerate(violation.trace) if any(w in s.effect for w in _BREACH_EFFECTS)]
    return hits[0] if hits else None
