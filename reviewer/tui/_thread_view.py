"""What the main screen shows, as plain values read from a Review: the thread pane's rows, a
message split into its lines with the verdict cards after each comment, and the cards.

Pure functions of the (possibly partial) :class:`~reviewer.model.Review` and the revisions
found in the thread: no widgets here and no analysis (every verdict, link and "addressed" state
comes from the pipeline; this only picks what to show and words it).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..fixes import describe_tag
from ..model import (
    CommentReview,
    Message,
    Review,
    Revision,
    RevisionKind,
    RevisionReview,
    SegmentKind,
    Stance,
    Status,
    Violation,
)
from ..outline import walk_reply_tree
from ..report._common import (
    LinkGroup,
    configs_text,
    group_links,
    introduces,
    linked_finding,
    linked_violation,
)

__all__ = [
    "Card",
    "CardsAfter",
    "MessageLine",
    "RevisionBadge",
    "RevisionState",
    "ThreadRow",
    "analysed",
    "cards_of",
    "find_in_thread",
    "message_parts",
    "revision_badge",
    "thread_rows",
]

_STANCE_TEXT = {Stance.ACK: "Acked", Stance.REVIEW: "Rev-by", Stance.TESTED: "Tested", Stance.NAK: "NAK"}


class RevisionState(enum.Enum):
    PENDING = "pending"
    """Not analysed yet."""
    CLEAN = "clean"
    INTRODUCES = "introduces"
    NOT_APPLIED = "not-applied"


@dataclass(frozen=True, slots=True)
class RevisionBadge:
    text: str
    """``v1``, ``v2 inline``, ``sketch``."""
    state: RevisionState


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One message in the thread pane."""

    message_id: str
    guides: str
    """Tree guides drawn from the reply tree (``│ ├ ``)."""
    date: str
    author: str
    revisions: tuple[RevisionBadge, ...]
    stances: tuple[tuple[str, bool], ...]
    """(``Acked`` | ``Rev-by`` | ``Tested`` | ``NAK``, standing)."""
    verdicts: int
    """Verdicts linked to the message's comments (one per property or check, revision, scenario)."""


def analysed(review: Review, revision_id: str) -> RevisionReview | None:
    return next((rr for rr in review.revisions if rr.revision.id == revision_id), None)


def revision_badge(review: Review, revision: Revision) -> RevisionBadge:
    if revision.kind is RevisionKind.SKETCH:
        text = "sketch"
    else:
        text = f"v{revision.version or 1}" + (" inline" if revision.kind is RevisionKind.INLINE else "")
    rr = analysed(review, revision.id)
    if rr is None:
        state = RevisionState.PENDING
    elif rr.applied is None or not rr.applied.applied:
        state = RevisionState.NOT_APPLIED
    else:
        state = RevisionState.INTRODUCES if introduces(rr) else RevisionState.CLEAN
    return RevisionBadge(text, state)


def _guides(levels: tuple[bool, ...]) -> str:
    if not levels:
        return ""
    above = "".join("  " if last else "│ " for last in levels[:-1])
    return above + ("└ " if levels[-1] else "├ ")


def thread_rows(review: Review, revisions: Sequence[Revision]) -> list[ThreadRow]:
    """The reply tree, one row per message, with what each message carries and says."""
    counts: dict[str, int] = {}
    for cr in review.comments:
        if cr.links:
            mid = cr.comment.message_id
            counts[mid] = counts.get(mid, 0) + len(group_links(review, cr.links))
    rows = []
    for msg, levels, _depth in walk_reply_tree(review.thread):
        rows.append(ThreadRow(
            message_id=msg.message_id,
            guides=_guides(levels),
            date=msg.date.strftime("%d %b"),
            author=msg.author.display,
            revisions=tuple(revision_badge(review, r) for r in revisions if r.message_id == msg.message_id),
            stances=tuple((_STANCE_TEXT[p.stance], p.standing) for p in msg.positions),
            verdicts=counts.get(msg.message_id, 0),
        ))
    return rows


# --------------------------------------------------------------------------- message pane


@dataclass(frozen=True, slots=True)
class MessageLine:
    text: str
    kind: SegmentKind
    depth: int = 0
    """Quote depth (for dimming: the deeper, the older)."""


@dataclass(frozen=True, slots=True)
class Card:
    """One verdict beside a comment: a property (or check) of one revision and scenario, over
    the configurations that show it."""

    key: str
    """Stable across repaints of a growing review (focus follows it)."""
    comment: CommentReview
    group: LinkGroup
    status: Status | None
    """Of the violation (or finding) in the linked revision; None if it is not in the review."""
    where: str
    """``scenario · configurations`` for the simulator, ``file:line`` for a check."""
    detail: str
    violation: Violation | None
    """The violation whose trace the card opens (simulator cards)."""

    @property
    def revision_id(self) -> str:
        return self.group.links[0].revision_id if self.group.links else ""


@dataclass(frozen=True, slots=True)
class CardsAfter:
    """The cards of one comment, shown right after its last line."""

    comment_index: int
    """Index of the comment in ``Review.comments``."""
    cards: tuple[Card, ...]
    notices: tuple[str, ...] = ()
    """Errors in place (a revision carried here that does not apply, and why)."""
    tag_checks: tuple[str, ...] = ()
    """Beside a ``Fixes:`` tag (or ``Cc: stable`` hint) of a revision carried here: what
    simulating the history found of its claim (indented lines belong to the line above)."""


def _line_kinds(message: Message) -> list[tuple[SegmentKind, int]]:
    lines = message.lines
    kinds = [(SegmentKind.NEW, 0)] * len(lines)
    for seg in message.segments:
        for i in range(seg.first_line, min(len(lines), seg.first_line + seg.line_count)):
            kinds[i] = (seg.kind, seg.depth)
    return kinds


def _card(review: Review, cr: CommentReview, group: LinkGroup) -> Card:
    link = group.links[0]
    c = cr.comment
    key = f"{c.message_id}:{c.first_line}:{link.revision_id}:{group.source}:{group.what}:{group.scenario}"
    violation = linked_violation(review, link)
    if violation is not None:
        return Card(key, cr, group, violation.status, f"{group.scenario} · {configs_text(group.configs)}",
                    violation.detail, violation)
    finding = linked_finding(review, link)
    if finding is not None:
        return Card(key, cr, group, finding.status, f"{finding.file}:{finding.line}",
                    f"{finding.severity.value}: {finding.message}", None)
    return Card(key, cr, group, None, group.scenario, "", None)


def cards_of(review: Review, cr: CommentReview) -> tuple[Card, ...]:
    return tuple(_card(review, cr, g) for g in group_links(review, cr.links))


def _not_applied(review: Review, revisions: Sequence[Revision], message: Message) -> dict[int, str]:
    """Body line after which each revision carried here that does not apply is reported."""
    out: dict[int, str] = {}
    for r in revisions:
        rr = analysed(review, r.id) if r.message_id == message.message_id else None
        if rr is not None and rr.applied is not None and not rr.applied.applied:
            last = r.diff_first_line + len(r.diff.rstrip("\n").split("\n")) - 1
            why = str(rr.applied.error) if rr.applied.error else "it does not apply"
            out[min(last, len(message.lines) - 1)] = f"{r.label} does not apply: {why}"
    return out


def _tag_checks(review: Review, revisions: Sequence[Revision], message: Message) -> dict[int, tuple[str, ...]]:
    """Body line of each checked ``Fixes:`` tag (or stable hint) carried here: its lines."""
    out: dict[int, tuple[str, ...]] = {}
    for r in revisions:
        rr = analysed(review, r.id) if r.message_id == message.message_id else None
        if rr is None or rr.fixes is None:
            continue
        for trailer in r.trailers:
            lines = describe_tag(rr.fixes, trailer.value)
            if lines and 0 <= trailer.line < len(message.lines):
                out[trailer.line] = (*out.get(trailer.line, ()), *lines)
    return out


def message_parts(review: Review, revisions: Sequence[Revision],
                  message: Message) -> list[list[MessageLine] | CardsAfter]:
    """The message's lines in runs, each comment that has verdicts followed by its cards."""
    after: dict[int, CardsAfter] = {}
    for n, cr in enumerate(review.comments):
        c = cr.comment
        if c.message_id != message.message_id or not cr.links:
            continue
        last = c.first_line + len(c.text.split("\n")) - 1
        after[last] = CardsAfter(n, cards_of(review, cr))
    for line, notice in _not_applied(review, revisions, message).items():
        held = after.get(line)
        after[line] = replace(held, notices=(*held.notices, notice)) if held else CardsAfter(-1, (), (notice,))
    for line, checks in _tag_checks(review, revisions, message).items():
        held = after.get(line)
        after[line] = replace(held, tag_checks=(*held.tag_checks, *checks)) if held else CardsAfter(-1, (), (), checks)
    parts: list[list[MessageLine] | CardsAfter] = []
    run: list[MessageLine] = []
    for i, (text, (kind, depth)) in enumerate(zip(message.lines, _line_kinds(message), strict=True)):
        run.append(MessageLine(text, kind, depth))
        if i in after:
            parts.append(run)
            parts.append(after[i])
            run = []
    if run:
        parts.append(run)
    return parts


def find_in_thread(messages: Sequence[Message], after: int, query: str) -> tuple[int, int] | None:
    """(index in ``messages``, body line) of the first message after index ``after`` (wrapping
    round) whose author, subject or body holds ``query`` (any case); line 0 for a header match."""
    wanted = query.casefold()
    for step in range(1, len(messages) + 1):
        n = (after + step) % len(messages)
        msg = messages[n]
        lines = [i for i, text in enumerate(msg.lines) if wanted in text.casefold()]
        if lines:
            return n, lines[0]
        if wanted in f"{msg.author} {msg.subject.raw}".casefold():
            return n, 0
    return None
