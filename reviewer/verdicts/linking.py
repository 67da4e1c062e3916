"""Attach verdicts to the comments they confirm or refute, and follow them across revisions.

A verdict of the comment's anchored revision is linked when

* the comment names what it is about: the property or the scenario in the words of
  :mod:`.vocabulary` ("doubly free", "multiple references"), or a field, flag or function
  that only few of the revision's violations involve (``mem_cgroup_uncharge``; not
  ``PageHead``, which every trace of ``__free_pages`` reads);
* the comment names two functions that a violation's trace runs on different CPUs
  (``mem_cgroup_uncharge`` on the holder's, ``split_page_memcg`` on the owner's): it describes
  that race, so every property the race produces in that scenario and configuration is linked,
  whichever ordering the reviewer spelt out (:mod:`.races`);
* a finding's evidence line is quoted right above the comment (a ``Fixes:`` trailer), the
  comment names the check's subject, or the finding sits on the quoted line;
* the comment sits beside a diff proposed in its own message (the violations and findings it
  introduces).

Names that nearly every violation of the revision involves (``free_the_page``,
``put_page_testzero``: :func:`.races.common_names`) never link on their own. A finding with no
C function (a commit-message trailer, a tree-wide finding) is about text, not code: naming its
subject (the commit a ``Fixes:`` points to) is not enough, the comment must quote its line or
talk about the check's subject ("Fixes:", "tag", "title").

A trace passing the quoted line the comment sits under or the ``NEAR`` lines above it ("trace
passes mm/page_alloc.c:5148 quoted above") is recorded as further evidence, but does not link
on its own: every trace of a small function passes every line of it. Links are ranked by how
much supports them; "addressed" follows the best-supported ones. Words naming a configuration
("compound page", "non-compound") keep only the configurations that match. Each link records
why it was made; verdicts with none of these reasons are not attached.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..model import (
    Comment,
    CommentLink,
    CommentReview,
    Finding,
    Revision,
    RevisionKind,
    RevisionReview,
    SimConfig,
    SimVerdict,
    Status,
    Thread,
    Violation,
)
from ._diffindex import normalise
from .addressed import addressed
from .comments import split_comments
from .identity import finding_identity
from .races import common_names, cross_cpu_pair, names_in
from .vocabulary import check_words, config_words, property_words, scenario_words

__all__ = ["NEAR", "PROPERTY_ORDER", "CommentLinker", "finding_identity", "link_comment", "link_comments"]

BUDGET_EXCEEDED = "budget-exceeded"
PROPERTY_ORDER = (
    "double-free", "bad-page", "charge-leak", "page-leak", "over-uncharge", "css-imbalance", "stale-read",
    "assertion",
)
"""The most serious first: among equally supported links, the first is the one shown."""
NEAR = 3
"""Lines either side of the anchored line a trace step or finding may be and still count."""
_RIGHT_ABOVE = 3
"""Quoted lines (from the bottom) that count as "right above" for evidence matching."""


def link_comments(thread: Thread, revision_reviews: Sequence[RevisionReview]) -> tuple[CommentReview, ...]:
    """Every comment of ``thread`` with the verdicts it is about and whether later revisions fixed them."""
    linker = CommentLinker(thread, [rr.revision for rr in revision_reviews])
    for rr in revision_reviews:
        linker.add(rr)
    return linker.comments()


class CommentLinker:
    """:func:`link_comments` one revision at a time, for a review that shows verdicts as each
    revision is analysed: the comments are split once, a comment is linked when the revision it
    is anchored to arrives, and "addressed" covers the revisions added so far."""

    def __init__(self, thread: Thread, revisions: Sequence[Revision]) -> None:
        self._thread = thread
        self._comments = split_comments(thread, revisions)
        self._ranked: dict[int, list[tuple[int, CommentLink]]] = {}
        self._reviews: list[RevisionReview] = []

    def add(self, rr: RevisionReview) -> None:
        """Link the comments anchored to ``rr`` (a comment's links depend on that revision only)."""
        self._reviews.append(rr)
        for n, comment in enumerate(self._comments):
            if comment.anchor_revision == rr.revision.id:
                self._ranked[n] = _ranked_links(comment, rr)

    def comments(self) -> tuple[CommentReview, ...]:
        """Every comment, linked to the verdicts of the revisions added so far."""
        out = []
        for n, comment in enumerate(self._comments):
            ranked = self._ranked.get(n, [])
            links = tuple(link for _, link in ranked)
            # "addressed" follows what the comment is most clearly about (its best-supported links)
            primary = [link for score, link in ranked if score == ranked[0][0]] if ranked else []
            out.append(CommentReview(comment, links, addressed(comment, primary, self._reviews, self._thread)))
        return tuple(out)


def _same_path(a: str, b: str) -> bool:
    a, b = a.removeprefix("b/").removeprefix("a/"), b.removeprefix("b/").removeprefix("a/")
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _anchor_line_in_tree(comment: Comment, rr: RevisionReview) -> int | None:
    """The anchored line as the applied tree numbers it (the posted hunk may have applied offset)."""
    if comment.anchor_line is None or comment.anchor_file is None:
        return None
    line = comment.anchor_line
    if rr.applied is not None:
        offsets = [o.offset for o in rr.applied.offsets if _same_path(o.path, comment.anchor_file)]
        if len(set(offsets)) == 1:
            line += offsets[0]
    return line


def _own_proposal(comment: Comment, rr: RevisionReview) -> bool:
    return (
        rr.revision.message_id == comment.message_id
        and rr.revision.kind in (RevisionKind.SKETCH, RevisionKind.INLINE)
        and not comment.quoted
    )


@dataclass(frozen=True, slots=True)
class _Group:
    """One property violated in one scenario of a revision, over every configuration."""

    scenario: str
    property: str
    members: tuple[tuple[SimVerdict, Violation], ...]
    symbols: frozenset[str]


def _groups(rr: RevisionReview) -> list[_Group]:
    found: dict[tuple[str, str], list[tuple[SimVerdict, Violation]]] = {}
    for verdict in rr.sim_verdicts:
        for violation in verdict.violations:
            # an exhausted search budget says nothing about the code a comment discusses
            if violation.status is not Status.FIXED and violation.property != BUDGET_EXCEEDED:
                found.setdefault((verdict.scenario, violation.property), []).append((verdict, violation))
    return [
        _Group(scenario, prop, tuple(members), frozenset(n for _, v in members for n in v.symbols))
        for (scenario, prop), members in found.items()
    ]


def _telling_symbols(groups: Sequence[_Group], common: frozenset[str]) -> dict[tuple[str, str], frozenset[str]]:
    """Per group, the symbols few other groups share and not nearly every trace involves: every
    violation of a revision involves ``PageHead`` and ``refcount``, only the charge leak
    involves ``mem_cgroup_uncharge``."""
    limit = max(1, len(groups) // 3)
    count: dict[str, int] = {}
    for g in groups:
        for name in g.symbols:
            count[name] = count.get(name, 0) + 1
    return {
        (g.scenario, g.property): frozenset(n for n in g.symbols if count[n] <= limit and n not in common)
        for g in groups
    }


def _common(rr: RevisionReview) -> frozenset[str]:
    return common_names([
        v for verdict in rr.sim_verdicts for v in verdict.violations
        if v.status is not Status.FIXED and v.property != BUDGET_EXCEEDED
    ])


def _race_reason(text: str, violation: Violation, common: frozenset[str]) -> str | None:
    pair = cross_cpu_pair(text, violation, common)
    if pair is None:
        return None
    (x, _, x_thread), (y, _, y_thread) = pair
    return f"comment names {x} ({x_thread}) and {y} ({y_thread}): they race on different CPUs in this trace"


def _config_fits(config: SimConfig, wanted: dict[str, bool]) -> bool:
    return all(getattr(config, key) == value for key, value in wanted.items())


def _passes_anchor(comment: Comment, rr: RevisionReview, violation: Violation) -> str | None:
    line = _anchor_line_in_tree(comment, rr)
    if not comment.quoted or line is None or comment.anchor_file is None:
        return None
    for step in violation.trace:
        if _same_path(step.file, comment.anchor_file) and line - NEAR <= step.line <= line:
            return f"trace passes {step.file}:{step.line} quoted above"
    return None


def _sim_links(comment: Comment, rr: RevisionReview) -> list[tuple[int, CommentLink]]:
    groups = _groups(rr)
    common = _common(rr)
    telling = _telling_symbols(groups, common)
    text = comment.text
    words = property_words(text)
    scenes = scenario_words(text)
    topics = scenario_words(text, topic_only=True)
    wanted = config_words(text)
    own = _own_proposal(comment, rr)
    ranked: list[tuple[int, CommentLink]] = []
    for g in groups:
        reasons: list[str] = []
        score = 0
        in_scene = not scenes or any(fragment in g.scenario for fragment in scenes)
        said = next((said for fragment, said in topics.items() if fragment in g.scenario), None)
        if said is not None:
            reasons.append(f"comment says \"{said}\" (scenario {g.scenario})")
            score += 1
        # a comment that names the scenario it is about speaks of that scenario's problems only
        if g.property in words and in_scene:
            reasons.append(f"comment says \"{words[g.property]}\" ({g.property})")
            score += 2
        names = names_in(text, telling[(g.scenario, g.property)])
        if names and in_scene:
            reasons.append("comment names " + ", ".join(names))
            score += 1
        introduced = [m for m in g.members if m[1].status is Status.INTRODUCED]
        if own and introduced:
            reasons.append(f"introduced by {rr.revision.label}, proposed in this message")
            score += 1
        only_own = own and score == 1 and not names and said is None and g.property not in words
        best: dict[SimConfig, tuple[int, CommentLink]] = {}
        for verdict, violation in g.members:
            if not _config_fits(verdict.config, wanted):
                continue
            # a proposal's own message speaks for what it introduces, not for what it inherits
            base = reasons if reasons and (not only_own or violation.status is Status.INTRODUCED) else []
            # the race the comment describes counts in the cells whose trace shows it
            race = _race_reason(text, violation, common) if in_scene else None
            member = [*base, race] if race is not None else base
            if not member:
                continue
            where = _passes_anchor(comment, rr, violation)
            why = "; ".join([where, *member] if where else member)
            strength = (score if base else 0) + (2 if race is not None else 0) + (2 if where else 0)
            link = CommentLink(rr.revision.id, "simulator", g.property, why, g.scenario, verdict.config)
            if verdict.config not in best or strength > best[verdict.config][0]:
                best[verdict.config] = (strength, link)
        ranked.extend(best.values())
    return ranked


def _severity(prop: str) -> int:
    return PROPERTY_ORDER.index(prop) if prop in PROPERTY_ORDER else len(PROPERTY_ORDER)


def _check_reasons(
    comment: Comment, rr: RevisionReview, finding: Finding, telling: frozenset[str]
) -> tuple[int, list[str]]:
    """The reasons to link ``finding`` to ``comment``, and how strongly they support it."""
    reasons: list[str] = []
    score = 0
    line = _anchor_line_in_tree(comment, rr)
    if (
        comment.quoted
        and line is not None
        and comment.anchor_file is not None
        and _same_path(finding.file, comment.anchor_file)
        and line - NEAR <= finding.line <= line
    ):
        reasons.append(f"finding at {finding.file}:{finding.line} quoted above")
        score += 2
    above = [normalise(q.lstrip("> \t")) for q in comment.quoted.split("\n") if q.strip(" >\t")]
    above = above[-_RIGHT_ABOVE:]
    for evidence in finding.evidence:
        ev = normalise(evidence)
        if len(ev) >= 8 and any(ev in q or (len(q) >= 8 and q in ev) for q in above):
            reasons.append(f"quoted above: \"{ev[:70]}\"")
            score += 2
            break
    for fragment, said in check_words(comment.text).items():
        if fragment in finding.check.lower():
            reasons.append(f"comment says \"{said}\" ({finding.check})")
            score += 2
            break
    names = names_in(comment.text, telling)
    # a finding outside C code (a trailer) is about its text: naming the commit it cites is not enough
    if names and (finding.function or reasons):
        reasons.append("comment names " + ", ".join(names))
        score += 1
    if _own_proposal(comment, rr) and finding.status is Status.INTRODUCED:
        reasons.append(f"introduced by {rr.revision.label}, proposed in this message")
        score += 1
    return score, reasons


def _check_links(comment: Comment, rr: RevisionReview) -> list[tuple[int, CommentLink]]:
    findings = [f for f in rr.findings if f.status is not Status.FIXED]
    # as for violations: only the symbols few findings share, and not nearly every trace
    # passes through, say which one a comment means
    common = _common(rr)
    limit = max(1, len(findings) // 3)
    count: dict[str, int] = {}
    for f in findings:
        for name in set(f.symbols):
            count[name] = count.get(name, 0) + 1
    links = []
    for f in findings:
        telling = frozenset(n for n in f.symbols if count[n] <= limit and n not in common)
        score, reasons = _check_reasons(comment, rr, f, telling)
        if reasons:
            link = CommentLink(rr.revision.id, "check", f.check, "; ".join(reasons), finding=finding_identity(f))
            links.append((score, link))
    return links


def _ranked_links(comment: Comment, rr: RevisionReview) -> list[tuple[int, CommentLink]]:
    """(strength, link), the best-supported first; among equals the most serious property
    first (the views show the first link's trace beside the comment)."""
    found = _sim_links(comment, rr) + _check_links(comment, rr)
    ranked = sorted(found, key=lambda pair: (-pair[0], pair[1].source != "simulator", _severity(pair[1].what)))
    return list({link: (score, link) for score, link in reversed(ranked)}.values())[::-1]


def link_comment(comment: Comment, rr: RevisionReview) -> tuple[CommentLink, ...]:
    """The links from ``comment`` to the verdicts of its anchored revision ``rr``, the
    best-supported first."""
    return tuple(link for _, link in _ranked_links(comment, rr))
