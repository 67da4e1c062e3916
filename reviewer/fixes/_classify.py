"""Place each problem a revision fixes (or leaves in place) against the commit a tag names.

A problem is one violation identity in one scenario x configuration, as the simulator compares
them (:func:`reviewer.sim.simulate.identity`). Against the versions just before and at the named
commit it is *introduced* there (absent before, present at), *older* (present before already),
*not reproduced* (absent at it) or *not analysed* (a version the simulator could not settle).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..model import (
    CommitRef,
    FixesProblem,
    FixOrigin,
    RevisionReview,
    Status,
    TagVerdict,
    Violation,
)
from ..sim.simulate import identity
from ._probe import BUDGET_EXCEEDED, Problem, Seen, Version

__all__ = ["Placed", "Target", "group", "place", "revision_targets", "tag_verdict"]


@dataclass(frozen=True, slots=True)
class Target:
    """A problem of the revision's base, and whether the revision fixes it."""

    problem: Problem
    fixed: bool
    violation: Violation
    """As the revision's verdict has it: the base's counterexample for a fixed problem."""


@dataclass(frozen=True, slots=True)
class Placed:
    target: Target
    origin: FixOrigin
    why: str
    evidence: Violation | None = None
    since: CommitRef | None = None
    earliest: CommitRef | None = None


def revision_targets(rr: RevisionReview) -> tuple[Target, ...]:
    """The base's problems: fixed by the revision, or still there (pre-existing)."""
    out: dict[Problem, Target] = {}
    for verdict in rr.sim_verdicts:
        if verdict.outcome == "not-analysed":
            continue
        for v in verdict.violations:
            if v.property == BUDGET_EXCEEDED or v.status is Status.INTRODUCED:
                continue
            problem = (verdict.scenario, verdict.config, identity(v))
            out.setdefault(problem, Target(problem, v.status is Status.FIXED, v))
    return tuple(out.values())


def place(target: Target, at: Version, at_seen: Seen, before: Version | None, before_seen: Seen | None,
          *, no_before: str) -> Placed:
    """Where ``target`` stands at the named commit (``at``) and just before it (``before``; None
    when there is no earlier version, ``no_before`` saying why)."""
    p = target.problem
    state = at_seen.state(p)
    if state is None:
        return Placed(target, FixOrigin.NOT_ANALYSED, f"not analysed at {at.label}: {at_seen.unknown[(p[0], p[1])]}")
    if not state:
        return Placed(target, FixOrigin.NOT_REPRODUCED, f"absent at {at.label}")
    evidence = at_seen.violation(p)
    if before is None or before_seen is None:
        return Placed(target, FixOrigin.INTRODUCED, f"present at {at.label}; {no_before}", evidence)
    earlier = before_seen.state(p)
    if earlier is None:
        return Placed(target, FixOrigin.NOT_ANALYSED,
                      f"not analysed at {before.label}: {before_seen.unknown[(p[0], p[1])]}")
    if earlier:
        return Placed(target, FixOrigin.OLDER, f"present at {before.label} already",
                      before_seen.violation(p) or evidence)
    return Placed(target, FixOrigin.INTRODUCED, f"absent at {before.label}, present at {at.label}", evidence)


def group(placed: Iterable[Placed]) -> tuple[FixesProblem, ...]:
    """One entry per scenario x problem x standing, its configurations folded; fixed ones first."""
    groups: dict[tuple[bool, str, tuple[str, str], FixOrigin, str, CommitRef | None, CommitRef | None],
                 list[Placed]] = {}
    for item in placed:
        scenario, _, key = item.target.problem
        groups.setdefault((item.target.fixed, scenario, key, item.origin, item.why, item.since, item.earliest),
                          []).append(item)
    out = [
        FixesProblem(
            scenario=scenario, property=key[0], kind=key[1],
            configs=tuple(dict.fromkeys(i.target.problem[1] for i in items)),
            fixed=fixed, origin=origin, why=why, since=since, earliest=earliest,
            evidence=next((i.evidence for i in items if i.evidence is not None), None),
        )
        for (fixed, scenario, key, origin, why, since, earliest), items in groups.items()
    ]
    out.sort(key=lambda p: (not p.fixed, p.scenario, p.property))
    return tuple(out)


def tag_verdict(problems: Sequence[FixesProblem]) -> TagVerdict:
    """Verified when the named commit introduced a problem the revision fixes; too late when the
    fixed problems are only older; not reproduced when none is present at it."""
    fixed = {p.origin for p in problems if p.fixed}
    if FixOrigin.INTRODUCED in fixed:
        return TagVerdict.VERIFIED
    if FixOrigin.OLDER in fixed:
        return TagVerdict.TOO_LATE
    if FixOrigin.NOT_REPRODUCED in fixed or not fixed:
        return TagVerdict.NOT_REPRODUCED
    return TagVerdict.NOT_CHECKED
