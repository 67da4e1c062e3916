"""Short plain-text lines for a revision's Fixes: findings: the batch report, the TUI (beside
the tag's line) and the draft reply all show these. A view only: it reads a FixesReview."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import (
    FixesProblem,
    FixesReview,
    FixesTagCheck,
    FixOrigin,
    NamedCommit,
    SimConfig,
    TagVerdict,
)

__all__ = ["describe_fixes", "describe_suggestions", "describe_tag", "fixes_summary"]

_VERDICT = {
    TagVerdict.VERIFIED: "verified: the named commit introduced what the revision fixes",
    TagVerdict.TOO_LATE: "points too late: what the revision fixes is older than the named commit",
    TagVerdict.NOT_REPRODUCED: "not reproduced: what the revision fixes is not present at the named commit",
    TagVerdict.NOT_CHECKED: "not checked",
}
_FOUND = {"tree-id": "in the tree", "tree-title": "in the tree by its title", "lore": "on lore"}
_STABLE = {
    TagVerdict.VERIFIED: "holds: the release is the first with what the revision fixes",
    TagVerdict.TOO_LATE: "too narrow: what the revision fixes is in the release before it too",
    TagVerdict.NOT_REPRODUCED: "not reproduced: what the revision fixes is not in that release",
    TagVerdict.NOT_CHECKED: "not checked",
}


def _configs(configs: Sequence[SimConfig]) -> str:
    orders = ",".join(str(o) for o in sorted({c.order for c in configs}))
    kinds = "; ".join(sorted({c.key.split(",", 1)[1] for c in configs}))
    return f"order {orders}: {kinds}"


def _name(p: FixesProblem) -> str:
    """``double-free``, ``bad-page ("nonzero mapcount")``, ``stale-read (PageHead)``."""
    if not p.kind:
        return p.property
    return f'{p.property} ("{p.kind}")' if p.property == "bad-page" else f"{p.property} ({p.kind})"


_RELEASE_ORIGIN = {
    FixOrigin.INTRODUCED: "new in this release",
    FixOrigin.OLDER: "in the release before it too",
    FixOrigin.NOT_REPRODUCED: "not in this release",
    FixOrigin.NOT_ANALYSED: "not analysed",
}


def _origin(p: FixesProblem) -> str:
    if p.origin is FixOrigin.INTRODUCED:
        return "introduced by the named commit"
    if p.origin is FixOrigin.NOT_REPRODUCED:
        return "not present at the named commit"
    if p.origin is FixOrigin.NOT_ANALYSED:
        return "not analysed"
    text = "older than the named commit"
    if p.since is not None:
        text += f", introduced by {p.since.sha[:12]} (\"{p.since.title}\")"
    elif p.earliest is not None:
        text += f", present at the earliest version tried, {p.earliest.sha[:12]}"
    return text


def _where(p: FixesProblem) -> str:
    return f"{_name(p)} in {p.scenario} [{_configs(p.configs)}]"


def _problem(p: FixesProblem, *, release: bool = False) -> str:
    origin = _RELEASE_ORIGIN[p.origin] if release else _origin(p)
    return f"{'fixes' if p.fixed else 'leaves'} {_where(p)}: {origin} ({p.why})"


def _named(named: NamedCommit) -> str:
    if named.found == "tree-tag":
        before = f"the release before it ({named.before[:12]})" if named.before else "no earlier release"
        return f"release {named.commit.title} ({named.commit.sha[:12]}) in the tree; compared with {before}"
    where = _FOUND.get(named.found, named.found) + (f", <{named.where}>" if named.found == "lore" else "")
    before = named.before if named.found == "lore" else f"its parent {named.before[:12]}"
    if not named.before:
        before = "no earlier version"
    return f"named commit {named.commit.sha[:12]} (\"{named.commit.title}\") found {where}; compared with {before}"


def _tag(check: FixesTagCheck, *, stable: bool = False) -> list[str]:
    lines = [f"Cc: {check.tag} — {_STABLE[check.verdict]}" if stable
             else f"Fixes: {check.tag} — {_VERDICT[check.verdict]}"]
    if check.commit is not None:
        lines.append(f"  {_named(check.commit)}")
    lines += [f"  {_problem(p, release=stable)}" for p in check.problems]
    lines += [f"  note: {n}" for n in check.notes]
    return lines


def describe_fixes(result: FixesReview) -> list[str]:
    """One line per finding, most important first; indented lines belong to the line above."""
    lines: list[str] = []
    for check in result.tags:
        lines += _tag(check)
    lines += describe_suggestions(result)
    for check in result.stable:
        lines += _tag(check, stable=True)
    lines += [f"note: {n}" for n in result.notes]
    return lines


def describe_suggestions(result: FixesReview) -> list[str]:
    """The ``Fixes:`` lines offered (found by bisecting the history), each with what it introduced."""
    lines: list[str] = []
    for s in result.suggestions:
        lines.append(f"suggested: {s.commit.fixes_line}")
        lines += [f"  it introduced {_where(p)} ({p.why})" for p in s.problems]
        versions = f"{s.simulations} version{'s' if s.simulations != 1 else ''}"
        lines.append(f"  bisected: {versions} simulated over {s.commits} commits of the functions' history")
    return lines


def describe_tag(result: FixesReview, trailer_value: str) -> list[str]:
    """The lines for one trailer (a ``Fixes:`` tag or a ``Cc: stable`` hint, by its value as
    :class:`~reviewer.model.Trailer` holds it), to show beside that line; a tag that does not
    hold brings the suggested replacement along. Empty when the trailer was not checked."""
    want = " ".join(trailer_value.split())
    for check in result.tags:
        if check.tag == want:
            lines = _tag(check)
            if check.verdict is not TagVerdict.VERIFIED:
                lines += [f"  suggested: {s.commit.fixes_line}" for s in result.suggestions]
            return lines
    for check in result.stable:
        if " ".join(check.tag.split()) == want:
            return _tag(check, stable=True)
    return []


def fixes_summary(result: FixesReview | None) -> str:
    """A few words for a one-line summary: ``Fixes: 1a2b3c4d5e6f verified``, ``suggest Fixes: ...``."""
    if result is None:
        return ""
    parts = [f"Fixes: {c.named.sha[:12] or c.tag} {c.verdict.value}" for c in result.tags]
    parts += [f"stable {c.named.title}+ {c.verdict.value}" for c in result.stable]
    parts += [f"suggest {s.commit.fixes_line}" for s in result.suggestions]
    return "; ".join(parts)
