"""What every view needs from a Review, computed the same way for all of them (no analysis)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from ..fixes import fixes_summary
from ..model import (
    AppliedRevision,
    Comment,
    CommentLink,
    Finding,
    Review,
    RevisionKind,
    RevisionReview,
    Severity,
    SimConfig,
    SimVerdict,
    Status,
    Violation,
)
from ..outline import outline_json, render_outline
from ..sim import format_trace
from ..verdicts import ordered_revisions
from ..verdicts.addressed import same_finding

__all__ = [
    "BUDGET_EXCEEDED",
    "COMMIT_MESSAGE_FILE",
    "ViolationGroup",
    "base_revision",
    "comment_head",
    "configs_text",
    "LinkGroup",
    "PROPERTY_NAMES",
    "group_links",
    "group_violations",
    "in_tree_text",
    "introduces",
    "label_of",
    "linked_finding",
    "linked_violation",
    "reasons_by_scenario",
    "latest_revision",
    "outline_of",
    "outline_text",
    "problems",
    "quoted_tail",
    "sorted_revisions",
    "summary_lines",
    "trace_text",
    "violation_name",
]

COMMIT_MESSAGE_FILE = "COMMIT_MSG"
"""``Finding.file`` of commit-message findings (reviewer.check_api.COMMIT_MESSAGE)."""


def sorted_revisions(review: Review) -> list[RevisionReview]:
    """The base first (when the review has one), then the revisions in posting order."""
    bases = [rr for rr in review.revisions if rr.revision.kind is RevisionKind.BASE]
    return bases + ordered_revisions(review.revisions, review.thread)


def base_revision(review: Review) -> RevisionReview | None:
    return next((rr for rr in review.revisions if rr.revision.kind is RevisionKind.BASE), None)


def latest_revision(review: Review) -> RevisionReview | None:
    ordered = ordered_revisions(review.revisions, review.thread)
    return ordered[-1] if ordered else None


def label_of(review: Review, revision_id: str | None) -> str:
    for rr in review.revisions:
        if rr.revision.id == revision_id:
            return rr.revision.label
    return revision_id or ""


@dataclass(frozen=True, slots=True)
class ViolationGroup:
    """One property violated in one scenario, over the configurations that show it."""

    scenario: str
    property: str
    status: Status
    configs: tuple[SimConfig, ...]
    example: Violation
    """The violation of the first configuration (its trace is the one shown)."""


def group_violations(verdicts: Sequence[SimVerdict]) -> list[ViolationGroup]:
    groups: dict[tuple[str, str, Status], list[tuple[SimConfig, Violation]]] = {}
    for verdict in verdicts:
        for violation in verdict.violations:
            key = (verdict.scenario, violation.property, violation.status)
            groups.setdefault(key, []).append((verdict.config, violation))
    return [
        ViolationGroup(s, p, st, tuple(dict.fromkeys(c for c, _ in items)), items[0][1])
        for (s, p, st), items in groups.items()
    ]


PROPERTY_NAMES = {
    "double-free": "double free",
    "page-leak": "page leak",
    "charge-leak": "memcg charge leak",
    "over-uncharge": "memcg over-uncharge",
    "css-imbalance": "css reference imbalance",
    "bad-page": "bad page state",
    "assertion": "failed assertion (BUG_ON/WARN_ON)",
    "stale-read": "stale read",
    "budget-exceeded": "exploration budget exceeded",
}
"""How prose views (b4-check summaries, drafts) name each property, in the words a reviewer
would use; the most serious first."""

BUDGET_EXCEEDED = "budget-exceeded"
"""The search stopped early: a limit of the analysis, not a fault of the patch."""


@dataclass(frozen=True, slots=True)
class LinkGroup:
    """A comment's links to one property (or check) of one revision, over its configurations."""

    revision_label: str
    source: str
    what: str
    scenario: str
    configs: tuple[SimConfig, ...]
    why: str
    """The reasons of the group's first (best-supported) link."""
    links: tuple[CommentLink, ...] = ()
    """The group's links, the best-supported first."""


def group_links(review: Review, links: Sequence[CommentLink]) -> list[LinkGroup]:
    groups: dict[tuple[str, str, str, str], list[CommentLink]] = {}
    for link in links:
        groups.setdefault((link.revision_id, link.source, link.what, link.scenario), []).append(link)
    return [
        LinkGroup(
            label_of(review, rev), source, what, scenario,
            tuple(dict.fromkeys(link.config for link in members if link.config is not None)),
            members[0].why,
            tuple(members),
        )
        for (rev, source, what, scenario), members in groups.items()
    ]


def linked_violation(review: Review, link: CommentLink) -> Violation | None:
    """The simulator violation a comment link points at (its trace is shown beside the comment)."""
    if link.source != "simulator":
        return None
    for rr in review.revisions:
        if rr.revision.id != link.revision_id:
            continue
        for verdict in rr.sim_verdicts:
            if verdict.scenario == link.scenario and verdict.config == link.config:
                for violation in verdict.violations:
                    if violation.property == link.what:
                        return violation
    return None


def linked_finding(review: Review, link: CommentLink) -> Finding | None:
    """The check finding a comment link points at."""
    if link.source != "check":
        return None
    for rr in review.revisions:
        if rr.revision.id == link.revision_id:
            for f in rr.findings:
                if same_finding(link, f):
                    return f
    return None


def reasons_by_scenario(verdicts: Sequence[SimVerdict], *,
                        not_analysed_only: bool = False) -> list[tuple[str, str, str, list[SimConfig]]]:
    """(``not analysed`` or ``note``, scenario, reason, configurations) for every distinct reason a
    scenario's verdicts give, so one reason shared by every configuration is said once."""
    grouped: dict[tuple[str, str, str], list[SimConfig]] = {}
    for v in verdicts:
        if not v.reason or (not_analysed_only and v.outcome != "not-analysed"):
            continue
        what = "not analysed" if v.outcome == "not-analysed" else "note"
        grouped.setdefault((what, v.scenario, v.reason), []).append(v.config)
    return [(what, scenario, reason, configs) for (what, scenario, reason), configs in grouped.items()]


def configs_text(configs: Sequence[SimConfig]) -> str:
    """``order=1..3, compound, kmem|no-kmem`` when the configurations are a full product,
    else each one's key."""
    orders = sorted({c.order for c in configs})
    compound = sorted({c.compound for c in configs})
    kmem = sorted({c.kmem for c in configs})
    if len(configs) == 1:
        return configs[0].key
    if len(set(configs)) != len(orders) * len(compound) * len(kmem):
        # not a full product: fold the orders of each (compound, kmem) pair, one part per pair
        by_kind: dict[tuple[bool, bool], list[int]] = {}
        for c in dict.fromkeys(configs):
            by_kind.setdefault((c.compound, c.kmem), []).append(c.order)
        return "; ".join(
            "order=" + ",".join(map(str, sorted(set(found))))
            + (", compound" if is_compound else ", non-compound") + (", kmem" if is_kmem else ", no-kmem")
            for (is_compound, is_kmem), found in sorted(by_kind.items(), key=lambda kv: (not kv[0][0], not kv[0][1]))
        )
    order_text = f"order={orders[0]}" if len(orders) == 1 else "order=" + ",".join(map(str, orders))
    compound_text = "|".join("compound" if v else "non-compound" for v in reversed(compound))
    kmem_text = "|".join("kmem" if v else "no-kmem" for v in reversed(kmem))
    return f"{order_text}, {compound_text}, {kmem_text}"


def in_tree_text(a: AppliedRevision) -> str:
    """``already in your tree at <commit> (found by patch-id)``, or without the commit when the
    history does not show it; empty for a revision the tree does not have."""
    if a.already_in is None:
        return ""
    if a.already_in.commit:
        return f"already in your tree at {a.already_in.commit[:12]} (found by {a.already_in.found_by})"
    return "already in your tree (it applies in reverse; the history does not show the commit)"


def introduces(rr: RevisionReview) -> bool:
    """True when ``rr`` introduces a simulator violation or an error/warning finding (what the
    summary line lists after "introduces")."""
    return bool(_names(rr, Status.INTRODUCED))


def summary_lines(review: Review) -> list[str]:
    """One line per revision, in posting order: does it apply, what it introduces and fixes,
    and the positions standing on it — the verdict a busy reader wants before the detail."""
    out: list[str] = []
    for rr in ordered_revisions(review.revisions, review.thread):
        a = rr.applied
        parts: list[str] = []
        if a is None or not a.applied:
            parts.append("does not apply" + (f" ({a.error})" if a is not None and a.error else ""))
        else:
            if a.already_in is not None:
                parts.append(in_tree_text(a))
            introduced = _names(rr, Status.INTRODUCED)
            fixed = _names(rr, Status.FIXED)
            if introduced:
                parts.append("introduces " + ", ".join(introduced))
            elif rr.sim_verdicts:
                parts.append("introduces nothing")
            else:
                parts.append("checks introduce nothing; not simulated")
            if fixed:
                parts.append("fixes " + ", ".join(fixed))
            skipped = sum(1 for v in rr.sim_verdicts if v.outcome == "not-analysed")
            if skipped:
                parts.append(f"{skipped} simulations not analysed")
        if fixes_summary(rr.fixes):
            parts.append(fixes_summary(rr.fixes))
        standing = [p for p in rr.positions if p.standing]
        if standing:
            parts.append("; ".join(f"{p.stance.value} {p.person.display}" for p in standing))
        out.append(f"{rr.revision.label}: " + " · ".join(parts))
    return out


def problems(rr: RevisionReview, status: Status) -> list[str]:
    """The problems of ``status`` on ``rr`` the summary line names (simulator properties, bad
    pages by reason, check ids; for "introduced", errors and warnings only), first-seen order."""
    return _names(rr, status)


def _names(rr: RevisionReview, status: Status) -> list[str]:
    """Simulator properties and check ids of ``status`` on ``rr``, first-seen order."""
    names = [violation_name(v) for sv in rr.sim_verdicts for v in sv.violations
             if v.status is status and v.property != BUDGET_EXCEEDED]
    names += [f.check for f in rr.findings if f.status is status and
              (status is not Status.INTRODUCED or _blocking(f))]
    return list(dict.fromkeys(names))


def violation_name(v: Violation) -> str:
    """The property, with the kernel's reason string for a bad page (two bad pages for
    different reasons are different problems)."""
    reason = re.search(r'"([^"]+)"', v.detail) if v.property == "bad-page" else None
    return f'{v.property} ("{reason.group(1)}")' if reason else v.property


def _blocking(f: Finding) -> bool:
    return f.status is Status.INTRODUCED and f.severity in (Severity.ERROR, Severity.WARNING)


def trace_text(violation: Violation) -> str:
    """The two-column CPU0 | CPU1 trace, as the simulator formats it."""
    return format_trace(violation)


def outline_of(review: Review) -> dict[str, Any]:
    """The thread outline as reviewer.outline describes it."""
    return outline_json(review.thread)


def outline_text(review: Review, width: int = 100) -> str:
    """The thread outline as plain text (for Markdown and other non-terminal views)."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(render_outline(review.thread))
    return buffer.getvalue().rstrip("\n")


def comment_head(comment: Comment, lines: int = 8) -> list[str]:
    """The comment as a reader would read it beside its verdicts: a paragraph whole, a longer
    one cut after ``lines`` lines with an ellipsis (the verdict's "why" cites the words it used)."""
    text = comment.text.rstrip("\n").split("\n")
    if len(text) <= lines:
        return text
    return [*text[: lines - 1], text[lines - 1] + " […]"]


def quoted_tail(comment: Comment, lines: int = 2) -> list[str]:
    """The last quoted lines right above the comment (what it is under)."""
    body = [q for q in comment.quoted.split("\n") if q.strip(" >\t")]
    return body[-lines:]
