"""The batch report for a terminal: rich colours on a TTY, plain text when piped.

Rich decides from the Console it is given; this module never checks the terminal itself.
"""

from __future__ import annotations

import textwrap

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ..fixes import describe_fixes
from ..model import (
    CommentReview,
    Position,
    Review,
    RevisionKind,
    RevisionReview,
    Stance,
    Status,
    Violation,
)
from ..outline import render_outline
from ._common import (
    LinkGroup,
    base_revision,
    comment_head,
    configs_text,
    group_links,
    group_violations,
    in_tree_text,
    label_of,
    linked_violation,
    quoted_tail,
    reasons_by_scenario,
    sorted_revisions,
    summary_lines,
    trace_text,
)

__all__ = ["render_text"]

_STATUS_STYLE = {Status.INTRODUCED: "bold red", Status.PRE_EXISTING: "yellow", Status.FIXED: "green"}
_ADDRESSED_STYLE = {"present": "red", "fixed": "green", "n/a": "dim"}


def _position_line(p: Position) -> Text:
    stance = "NAK (veto)" if p.stance is Stance.NAK else p.stance.value
    text = Text(f"    {stance}: {p.person.display} ({p.date:%d %b %Y})")
    if p.stance is Stance.NAK and p.standing:
        text.stylize("bold red")
    if p.qualifier:
        text.append(f" — {p.qualifier_summary()}")
    if not p.standing:
        text.append(" [withdrawn]", style="dim")
    return text


def _apply_lines(rr: RevisionReview) -> list[str]:
    a = rr.applied
    if rr.revision.kind is RevisionKind.BASE:
        return []
    if a is None:
        return ["  applies: not tried"]
    if not a.applied:
        return [f"  applies: NO — {a.error}" if a.error else "  applies: NO"]
    out = [f"  applies: yes, on {a.base[:12]} ({a.base_how}){' [synthetic base]' if a.synthetic else ''}"]
    if a.already_in is not None:
        out.append(f"  {in_tree_text(a)}")
    if a.fallback:
        out.append(f"  synthetic base because {a.fallback}")
    if a.offsets:
        out.append("  offsets: " + ", ".join(f"{o.path} hunk #{o.hunk} {o.offset:+d}" for o in a.offsets))
    if a.files:
        out.append("  files: " + ", ".join(a.files))
    if a.functions:
        out.append("  functions: " + ", ".join(f"{f.name}()" for f in a.functions))
    if a.range_diff:
        out.append("  range-diff: " + a.range_diff.strip().replace("\n", "\n              "))
    return out


def _render_revision(console: Console, review: Review, rr: RevisionReview) -> None:
    r = rr.revision
    console.rule(Text(f"{r.label} · {r.kind.value}", style="bold"), align="left")
    if r.kind is not RevisionKind.BASE:
        console.print(Text(f"  {r.author} · {r.date:%a %d %b %Y %H:%M %z} · {r.title}"))
    for line in _apply_lines(rr):
        console.print(Text(line))
    if rr.positions:
        console.print("  positions:")
        for p in rr.positions:
            console.print(_position_line(p))
    _render_sim(console, rr)
    if rr.fixes is not None:
        console.print("  Fixes: tags against history:")
        for line in describe_fixes(rr.fixes):
            console.print(Text(f"    {line}"))
    for note in rr.notes:
        console.print(Text(f"  {note}", style="yellow"))
    if rr.findings:
        console.print("  checks:")
        for f in rr.findings:
            row = Text("    ")
            row.append(f"{f.status.value:<12}", style=_STATUS_STYLE[f.status])
            row.append(f" {f.severity.value} {f.check} {f.file}:{f.line}: {f.message}")
            console.print(row)


def _render_sim(console: Console, rr: RevisionReview) -> None:
    if not rr.sim_verdicts:
        return
    console.print("  simulator:")
    by_scenario: dict[str, list[str]] = {}
    for v in rr.sim_verdicts:
        by_scenario.setdefault(v.scenario, []).append(v.outcome)
    for scenario, outcomes in by_scenario.items():
        counts = ", ".join(f"{outcomes.count(o)} {o}" for o in dict.fromkeys(outcomes))
        console.print(Text(f"    {scenario}: {counts} (of {len(outcomes)} configurations)"))
    for what, scenario, reason, configs in reasons_by_scenario(rr.sim_verdicts):
        console.print(Text(f"    {what} {scenario} [{configs_text(configs)}]: {reason}", style="dim"))
    for group in group_violations(rr.sim_verdicts):
        head = Text("    ✗ " if group.status is not Status.FIXED else "    ✓ ")
        head.append(f"{group.property} {group.status.value}", style=_STATUS_STYLE[group.status])
        head.append(f" in {group.scenario} [" + configs_text(group.configs) + "]")
        console.print(head)
        if group.example.trace and group.status is Status.INTRODUCED:
            _print_trace(console, group.example)
        else:
            # pre-existing and fixed ones: their traces are in the JSON and beside the comments
            console.print(Text(f"      {group.example.detail}"))


def _print_trace(console: Console, violation: Violation, indent: str = "      ") -> None:
    # a two-column diagram must not be re-wrapped: let long rows run past the console width
    trace = Text("\n".join(indent + t for t in trace_text(violation).split("\n")), style="cyan")
    console.print(trace, no_wrap=True, overflow="ignore", crop=False)


def _render_links(console: Console, review: Review, cr: CommentReview) -> None:
    """One line per linked property (its configurations folded), then, once for every run of
    properties linked for the same reason, that reason wrapped under them: a race a comment
    describes links several properties, and one reason repeated per line buries them."""
    by_why: dict[str, list[LinkGroup]] = {}
    for g in group_links(review, cr.links):
        by_why.setdefault(g.why, []).append(g)
    width = max(40, console.width - 8)
    for why, groups in by_why.items():
        for g in groups:
            extra = f" in {g.scenario} [{configs_text(g.configs)}]" if g.scenario else ""
            row = Text("  → ", style="bold")
            row.append(f"{g.source} {g.what} on {g.revision_label}{extra}", style="magenta")
            console.print(row, no_wrap=True, overflow="ellipsis")
        for line in textwrap.wrap(f"why: {why}", width):
            console.print(Text(f"      {line}", style="italic"))


def _render_comment(console: Console, review: Review, cr: CommentReview) -> None:
    c = cr.comment
    where = ""
    if c.anchor_revision is not None:
        where = f" on {label_of(review, c.anchor_revision)}"
        if c.anchor_file is not None:
            where += f" {c.anchor_file}:{c.anchor_line}"
    console.print(Text(f"{c.author.display}, {c.date:%d %b %Y %H:%M}{where}", style="bold"))
    for q in quoted_tail(c):
        console.print(Text(f"  {q}", style="dim"))
    for line in comment_head(c):
        console.print(Text(f"  {line}"))
    _render_links(console, review, cr)
    shown = linked_violation(review, cr.links[0]) if cr.links else None
    if shown is not None and shown.trace:
        _print_trace(console, shown, indent="    ")
    if cr.addressed:
        row = Text("  addressed: ")
        for n, (label, state) in enumerate(cr.addressed):
            if n:
                row.append(" · ")
            row.append(f"{label} {state}", style=_ADDRESSED_STYLE.get(state, ""))
        console.print(row)
    console.print()


def render_text(review: Review, console: Console) -> None:
    """Print the whole report: outline, each revision with its verdicts, then the comments."""
    console.print(Text("Thread", style="bold underline"))
    console.print(render_outline(review.thread))
    console.print()
    summary = summary_lines(review)
    if summary:
        console.print(Text("Summary", style="bold underline"))
        for line in summary:
            console.print(Text(f"  {line}"))
        console.print()
    if review.revisions and base_revision(review) is None:
        console.print(Text("(the base was not simulated on its own)", style="dim"))
    for rr in sorted_revisions(review):
        _render_revision(console, review, rr)
        console.print()
    linked = [cr for cr in review.comments if cr.links]
    console.rule(Text(f"Comments ({len(review.comments)}, {len(linked)} with verdicts)", style="bold"), align="left")
    for cr in review.comments:
        _render_comment(console, review, cr)
    if review.other_versions:
        console.print(Text("Other versions", style="bold underline"))
        for o in review.other_versions:
            console.print(Text(f"  {o.relation}: {o.subject.raw} ({o.date:%d %b %Y}, {o.author.display}, found by {o.found_by})"))
    for note in review.notes:
        console.print(f"[dim]note:[/dim] {escape(note)}")
