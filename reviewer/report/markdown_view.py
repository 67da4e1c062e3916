"""The batch report as Markdown (for a pull request, a wiki page or a reply draft)."""

from __future__ import annotations

from ..fixes import describe_fixes
from ..model import CommentReview, Review, RevisionKind, RevisionReview, Stance, Status
from ._common import (
    comment_head,
    configs_text,
    group_links,
    group_violations,
    in_tree_text,
    label_of,
    linked_violation,
    outline_text,
    quoted_tail,
    reasons_by_scenario,
    sorted_revisions,
    summary_lines,
    trace_text,
)

__all__ = ["render_markdown"]


def _md(text: str) -> str:
    """Escape what Markdown would otherwise take as markup in running text."""
    for ch in ("\\", "`", "*", "_", "[", "]", "<", ">", "#", "|"):
        text = text.replace(ch, "\\" + ch)
    return text


def _revision(review: Review, rr: RevisionReview) -> list[str]:
    r = rr.revision
    out = [f"## {_md(r.label)} ({r.kind.value})", ""]
    if r.kind is not RevisionKind.BASE:
        out.append(f"- author: {_md(str(r.author))}, {r.date:%Y-%m-%d %H:%M %z}")
        out.append(f"- title: {_md(r.title)}")
        a = rr.applied
        if a is None:
            out.append("- applies: not tried")
        elif not a.applied:
            out.append(f"- applies: **no**: {_md(str(a.error or ''))}")
        else:
            out.append(f"- applies: yes, on `{a.base[:12]}` ({_md(a.base_how)})" + (" (synthetic base)" if a.synthetic else ""))
            if a.already_in is not None:
                out.append(f"- {_md(in_tree_text(a))}")
            if a.fallback:
                out.append(f"- synthetic base because {_md(a.fallback)}")
            if a.offsets:
                out.append("- offsets: " + ", ".join(f"{_md(o.path)} hunk #{o.hunk} {o.offset:+d}" for o in a.offsets))
            if a.files:
                out.append("- files: " + ", ".join(f"`{f}`" for f in a.files))
            if a.functions:
                out.append("- functions: " + ", ".join(f"`{f.name}()`" for f in a.functions))
            if a.range_diff:
                out.append(f"- range-diff: {_md(a.range_diff.strip())}")
    for p in rr.positions:
        stance = "**NAK** (veto)" if p.stance is Stance.NAK else p.stance.value
        withdrawn = " (withdrawn)" if not p.standing else ""
        out.append(f"- {stance}: {_md(p.person.display)}, {p.date:%Y-%m-%d}{withdrawn}")
    out.append("")
    if rr.sim_verdicts:
        clean = sum(1 for v in rr.sim_verdicts if v.outcome == "clean")
        skipped = [v for v in rr.sim_verdicts if v.outcome == "not-analysed"]
        out.append(f"Simulator: {len(rr.sim_verdicts)} runs, {clean} clean, {len(skipped)} not analysed.")
        for what, scenario, reason, configs in reasons_by_scenario(rr.sim_verdicts):
            out.append(f"- {what}: {_md(scenario)} [{configs_text(configs)}]: {_md(reason)}")
        out.append("")
        for g in group_violations(rr.sim_verdicts):
            out.append(f"- **{g.property}** {g.status.value} in {_md(g.scenario)} [{configs_text(g.configs)}]: {_md(g.example.detail)}")
            if g.example.trace and g.status is Status.INTRODUCED:
                out += ["", "```", trace_text(g.example), "```", ""]
    if rr.fixes is not None:
        out += ["Fixes: tags against history:", ""]
        out += [f"  - {_md(line.strip())}" if line.startswith("  ") else f"- {_md(line)}"
                for line in describe_fixes(rr.fixes)] + [""]
    if rr.notes:
        out += [f"- note: {_md(n)}" for n in rr.notes] + [""]
    if rr.findings:
        out.append("Checks:")
        out.append("")
        out.append("| status | severity | check | where | message |")
        out.append("|---|---|---|---|---|")
        for f in rr.findings:
            out.append(f"| {f.status.value} | {f.severity.value} | {_md(f.check)} | {_md(f.file)}:{f.line} | {_md(f.message)} |")
        out.append("")
    return out


def _comment(review: Review, cr: CommentReview) -> list[str]:
    c = cr.comment
    where = ""
    if c.anchor_revision is not None:
        where = f" on {_md(label_of(review, c.anchor_revision))}"
        if c.anchor_file is not None:
            where += f" `{c.anchor_file}:{c.anchor_line}`"
    out = [f"### {_md(c.author.display)}, {c.date:%Y-%m-%d %H:%M}{where}", ""]
    tail = quoted_tail(c)
    if tail:
        out += ["```", *tail, "```", ""]
    out += [f"> {_md(line)}" if line.strip() else ">" for line in comment_head(c)]
    out.append("")
    for g in group_links(review, cr.links):
        what = f"{g.what} in {g.scenario} [{configs_text(g.configs)}]" if g.scenario else g.what
        out.append(f"- {g.source} **{_md(what)}** on {_md(g.revision_label)}: {_md(g.why)}")
    shown = linked_violation(review, cr.links[0]) if cr.links else None
    if shown is not None and shown.trace:
        out += ["", "```", trace_text(shown), "```", ""]
    if cr.addressed:
        out.append("- addressed: " + ", ".join(f"{_md(label)} **{state}**" for label, state in cr.addressed))
    out.append("")
    return out


def render_markdown(review: Review) -> str:
    """The whole report as one Markdown document."""
    out = [f"# Review of {_md(review.thread.source or review.thread.root)}", "", "```", outline_text(review), "```", ""]
    summary = summary_lines(review)
    if summary:
        out += ["## Summary", ""] + [f"- {_md(line)}" for line in summary] + [""]
    for rr in sorted_revisions(review):
        out += _revision(review, rr)
    out += ["## Comments", ""]
    for cr in review.comments:
        out += _comment(review, cr)
    if review.other_versions:
        out += ["## Other versions", ""]
        out += [f"- {o.relation}: {_md(o.subject.raw)} ({o.date:%Y-%m-%d}, found by {o.found_by})" for o in review.other_versions]
        out.append("")
    if review.notes:
        out += ["## Notes", ""] + [f"- {_md(n)}" for n in review.notes] + [""]
    return "\n".join(out)
