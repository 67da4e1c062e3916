"""The body of a summary reply: plain text wrapped at 72 columns, in the list's habits.

For each revision up to the one the reply is about that introduces a problem: the lines of its
diff the problem concerns, quoted; the problems in words (what breaks, in which scenario and
configurations); the shortest interleaving drawn as a race diagram. Then what was found clean,
what was there before the change, which earlier comments a later revision addressed, and the
trailer when one was asked for. No banner and no signature: the reviewer signs and sends it.

Everything here is read from the :class:`~reviewer.model.Review`; nothing is analysed again.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..fixes import describe_suggestions, describe_tag
from ..model import (
    Address,
    Finding,
    Review,
    RevisionReview,
    Severity,
    SimConfig,
    Status,
    TagVerdict,
    Violation,
)
from ..report._common import (
    BUDGET_EXCEEDED,
    COMMIT_MESSAGE_FILE,
    PROPERTY_NAMES,
    ViolationGroup,
    configs_text,
    group_violations,
    introduces,
    violation_name,
)
from ..sim.system import HARNESS_CPU
from ..verdicts import ordered_revisions
from .diagram import race_diagram
from .quote import quote_lines

__all__ = ["TRAILERS", "WIDTH", "attribution", "compose_body"]

WIDTH = 72

TRAILERS = {"Acked-by": "Acked-by", "Reviewed-by": "Reviewed-by", "NAK": "Nacked-by"}
"""``--trailer`` choices and the trailer line each writes."""


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def compose_body(review: Review, about: RevisionReview | None, *, sender: Address,
                 trailer: str | None = None, diagrams: int = 1, width: int = WIDTH) -> str:
    """The reply's text. ``about`` is the revision the reply answers (None: the latest)."""
    ordered = ordered_revisions(review.revisions, review.thread)
    if about is None and ordered:
        about = ordered[-1]
    upto = ordered[: ordered.index(about) + 1] if about in ordered else ordered
    still = _problem_keys(about, present=True) if about is not None else set()
    blocks: list[list[str]] = []
    gone: list[RevisionReview] = []
    for rr in upto:
        if not _applied(rr) or not introduces(rr):
            continue
        # an earlier revision whose problems the answered one no longer has is history: one line
        if rr is not about and about is not None and _applied(about) and not _problem_keys(rr) & still:
            gone.append(rr)
            continue
        blocks += _revision_blocks(review, rr, diagrams, width)
    if about is not None:
        blocks += _verdict_on(about, width)
    if gone and about is not None:
        labels = ", ".join(rr.revision.label for rr in gone)
        blocks.append(_fill(f"What {labels} introduced is gone in {about.revision.label}.", width))
    if about is not None and _applied(about):
        blocks += _fixes(about, width)
        blocks += _pre_existing(about, width)
    blocks += _addressed(review, upto, about, sender, width)
    if trailer is not None:
        blocks.append([f"{TRAILERS[trailer]}: {sender}"])
    return "\n\n".join("\n".join(block) for block in blocks if block) + "\n"


def attribution(author: Address, date: datetime) -> str:
    """``On Tue, Mar 23, 2021 at 03:02:32PM -0400, Jane Doe wrote:`` (mutt's, in English
    whatever the locale)."""
    hour = date.hour % 12 or 12
    return (f"On {_DAYS[date.weekday()]}, {_MONTHS[date.month - 1]} {date.day:02d}, {date.year} at "
            f"{hour:02d}:{date.minute:02d}:{date.second:02d}{'AM' if date.hour < 12 else 'PM'} "
            f"{date.strftime('%z')}, {author.display} wrote:")


# --------------------------------------------------------------------------- one revision


def _revision_blocks(review: Review, rr: RevisionReview, diagrams: int, width: int) -> list[list[str]]:
    groups = _introduced_groups(rr)
    findings = [f for f in rr.findings if f.status is Status.INTRODUCED and _serious(f)]
    carrier = review.thread.get(rr.revision.message_id)
    author, date = (carrier.author, carrier.date) if carrier else (rr.revision.author, rr.revision.date)
    races = _races(rr, diagrams)
    traces = [g.example for g in groups] + [race.violation for race in races]
    quoted = [f"> {line}" for f in findings if f.file == COMMIT_MESSAGE_FILE for line in f.evidence]
    code = quote_lines(rr.revision, rr.applied, _concerned_lines(traces, findings))
    quoted += (["[...]"] if quoted and code else []) + code
    blocks: list[list[str]] = []
    if quoted:
        blocks.append([attribution(author, date), *quoted])
    bullets: list[str] = []
    for name, members in _by_name(groups).items():
        where = "; ".join(f"{g.scenario}: {configs_text(g.configs)}" for g in members)
        bullets += _fill(f"{_words(name)} ({where}): {members[0].example.detail}", width, bullet=True)
    for f in findings:
        where = f.file if f.file == COMMIT_MESSAGE_FILE else f"{f.file}:{f.line}"
        bullets += _fill(f"{f.check} ({where}): {f.message}", width, bullet=True)
    how = " and ".join(w for w, found in (("in simulation", groups), ("by the checks", findings)) if found)
    head = f"{rr.revision.label} introduces, {how}:"
    blocks.append(_fill(head, width) + [""] + bullets)
    own = {t.name for t in rr.applied.functions} if rr.applied else set()
    for race in races:
        blocks.append(_fill(f"The {_words(violation_name(race.violation))} in {race.scenario} "
                            f"({race.config.key}):", width))
        blocks.append(race_diagram(race.violation, width=width, own=own))
    return blocks


def _verdict_on(rr: RevisionReview, width: int) -> list[list[str]]:
    """What the reply says about the revision it answers when it does not apply, or when it
    introduces nothing (a short "no problem found", never an empty reply)."""
    label = rr.revision.label
    if rr.applied is None or not rr.applied.applied:
        error = f": {rr.applied.error}" if rr.applied is not None and rr.applied.error else ""
        return [_fill(f"{label} does not apply{error}, so it was not analysed.", width)]
    if introduces(rr):
        return []
    checks = f"checks: {', '.join(rr.checks)}" if rr.checks else "no checks ran"
    analysed = [v for v in rr.sim_verdicts if v.outcome != "not-analysed"]
    if analysed:
        scenarios = ", ".join(dict.fromkeys(v.scenario for v in analysed))
        configs = configs_text(list(dict.fromkeys(v.config for v in analysed)))
        how = f"simulated: {scenarios} with {configs}; {checks}"
    else:
        notes = "; ".join(n.removeprefix("simulator: ") for n in rr.notes) or "no scenario ran"
        how = f"not simulated: {notes}; {checks}"
    return [_fill(f"No problem found in {label} ({how}).", width)]


def _fixes(rr: RevisionReview, width: int) -> list[list[str]]:
    """Each ``Fixes:`` tag (and ``Cc: stable`` hint) quoted, with what simulating the history
    found of its claim; a tag offered when the revision has none."""
    if rr.fixes is None:
        return []
    # A tag the history could not be asked about (no history, no posting) is not worth a line.
    checked = {" ".join(c.tag.split()) for c in (*rr.fixes.tags, *rr.fixes.stable)
               if c.verdict is not TagVerdict.NOT_CHECKED}
    blocks: list[list[str]] = []
    for trailer in rr.revision.trailers:
        lines = describe_tag(rr.fixes, trailer.value) if " ".join(trailer.value.split()) in checked else []
        if lines:
            blocks.append([f"> {trailer.name}: {trailer.value}", ""] + _fill_lines(lines, width))
    if not rr.fixes.tags and rr.fixes.suggestions:
        blocks.append(_fill_lines(describe_suggestions(rr.fixes), width))
    return blocks


def _pre_existing(rr: RevisionReview, width: int) -> list[list[str]]:
    bullets: list[str] = []
    groups = [g for g in group_violations(rr.sim_verdicts)
              if g.status is Status.PRE_EXISTING and g.property != BUDGET_EXCEEDED]
    for name, members in _by_name(groups).items():
        scenarios = ", ".join(dict.fromkeys(g.scenario for g in members))
        bullets += _fill(f"{_words(name)} ({scenarios}): {members[0].example.detail}", width, bullet=True)
    for f in rr.findings:
        if f.status is Status.PRE_EXISTING and _serious(f):
            what = f.message.split(": ", 1)[0]
            bullets += _fill(f"{f.check} ({f.file}:{f.line}): {what}", width, bullet=True)
    if not bullets:
        return []
    return [_fill(f"Pre-existing, not introduced by {rr.revision.label}:", width) + bullets]


def _addressed(review: Review, upto: Sequence[RevisionReview], about: RevisionReview | None,
               sender: Address, width: int) -> list[list[str]]:
    """Earlier reviewers' comments whose problems a later revision (up to ``about``) fixed."""
    labels = {rr.revision.label for rr in upto}
    authors = {rr.revision.id: rr.revision.author.email.lower() for rr in review.revisions}
    by_fix: dict[tuple[str, bool], dict[str, list[str]]] = {}
    for cr in review.comments:
        who = cr.comment.author.email.lower()
        if who == sender.email.lower() or who == authors.get(cr.comment.anchor_revision or ""):
            continue
        states = [(label, state) for label, state in cr.addressed if label in labels]
        fixed = next((label for label, state in states if state == "fixed"), None)
        if fixed is None:
            continue
        back = about is not None and dict(states).get(about.revision.label) == "present"
        person = f"{cr.comment.author.display}, {cr.comment.date.day} {_MONTHS[cr.comment.date.month - 1]}"
        what = by_fix.setdefault((fixed, back), {}).setdefault(person, [])
        what += [w for w in dict.fromkeys(_words(link.what) for link in cr.links) if w not in what]
    blocks: list[list[str]] = []
    for (fixed, back), people in by_fix.items():
        again = f", back in {about.revision.label}" if back and about is not None else ""
        lines = _fill(f"Addressed in {fixed}{again}:", width)
        for person, what in people.items():
            lines += _fill(f"{person}: {', '.join(what)}", width, bullet=True)
        blocks.append(lines)
    return blocks


# --------------------------------------------------------------------------- helpers


def _applied(rr: RevisionReview) -> bool:
    return rr.applied is not None and rr.applied.applied


def _introduced_groups(rr: RevisionReview) -> list[ViolationGroup]:
    return [g for g in group_violations(rr.sim_verdicts)
            if g.status is Status.INTRODUCED and g.property != BUDGET_EXCEEDED]


def _problem_keys(rr: RevisionReview, *, present: bool = False) -> set[tuple[str, str]]:
    """(scenario, property) and ("check", id) of what ``rr`` introduces (``present``: also
    what it still has from before)."""
    wanted = {Status.INTRODUCED, Status.PRE_EXISTING} if present else {Status.INTRODUCED}
    keys = {(v.scenario, x.property) for v in rr.sim_verdicts for x in v.violations
            if x.status in wanted and x.property != BUDGET_EXCEEDED}
    return keys | {("check", f.check) for f in rr.findings if f.status in wanted and _serious(f)}


def _serious(f: Finding) -> bool:
    """Errors and warnings: what the report counts as a problem (info findings are not)."""
    return f.severity in (Severity.ERROR, Severity.WARNING)


def _by_name(groups: Iterable[ViolationGroup]) -> dict[str, list[ViolationGroup]]:
    out: dict[str, list[ViolationGroup]] = {}
    for g in groups:
        out.setdefault(violation_name(g.example), []).append(g)
    return out


def _concerned_lines(traces: Sequence[Violation], findings: Sequence[Finding]) -> set[tuple[str, int]]:
    lines = {(s.file, s.line) for v in traces for s in v.trace}
    return lines | {(f.file, f.line) for f in findings if f.file != COMMIT_MESSAGE_FILE}


@dataclass(frozen=True, slots=True)
class _Race:
    scenario: str
    config: SimConfig
    violation: Violation


def _races(rr: RevisionReview, count: int) -> list[_Race]:
    """The interleavings worth drawing, at most ``count``: for each new problem, the trace that
    shows most of what the violation involves (its symbols changing), the shortest of those;
    then races between CPUs before single-CPU ones, shorter before longer."""
    best: dict[str, tuple[tuple[int, int], _Race]] = {}
    for verdict in rr.sim_verdicts:
        for v in verdict.violations:
            if v.status is not Status.INTRODUCED or v.property == BUDGET_EXCEEDED or not v.trace:
                continue
            effects = " ".join(step.effect for step in v.trace)
            rank = (-sum(symbol in effects for symbol in v.symbols), len(v.trace))
            name = violation_name(v)
            if name not in best or rank < best[name][0]:
                best[name] = (rank, _Race(verdict.scenario, verdict.config, v))
    chosen: list[_Race] = []
    seen: set[tuple[tuple[int, str, int, str], ...]] = set()
    for _, race in sorted(best.values(), key=lambda item: (_cpus(item[1].violation) < 2,
                                                           len(item[1].violation.trace))):
        key = tuple((s.cpu, s.file, s.line, s.effect) for s in race.violation.trace)
        if key not in seen:
            seen.add(key)
            chosen.append(race)
    return chosen[:count]


def _cpus(v: Violation) -> int:
    return len({s.cpu for s in v.trace if s.cpu != HARNESS_CPU})


def _words(name: str) -> str:
    base, _, rest = name.partition(" ")
    return " ".join(filter(None, (PROPERTY_NAMES.get(base, base), rest)))


def _fill_lines(lines: Iterable[str], width: int) -> list[str]:
    """Lines whose leading spaces say they belong to the line above, wrapped keeping that indent."""
    out: list[str] = []
    for line in lines:
        indent = " " * (len(line) - len(line.lstrip(" ")))
        out += textwrap.wrap(line.strip(), width, initial_indent=indent,
                             subsequent_indent=indent + "  ", break_long_words=False,
                             break_on_hyphens=False) or [""]
    return out


def _fill(text: str, width: int, *, bullet: bool = False) -> list[str]:
    return textwrap.wrap(text, width, initial_indent="- " if bullet else "",
                         subsequent_indent="  " if bullet else "",
                         break_long_words=False, break_on_hyphens=False) or [""]
