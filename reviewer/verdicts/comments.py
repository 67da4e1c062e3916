"""Split replies into comments and anchor each to a revision, a file and a line.

A comment is a paragraph of new text. The first paragraph of a run carries the quoted lines
right above it; later paragraphs of the same run share its anchor (they continue the same
remark) but not its quoted lines, so only the first is linked by position. Every reply of
every participant is kept (b4's review keeps only the last one per reviewer).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from ..model import Comment, Message, Revision, RevisionKind, Thread
from ._body import Paragraph, QuotedLine, read_body
from ._diffindex import DiffLine, RevisionIndex, index_revision, normalise

__all__ = ["split_comments"]

_MIN_SCORING = 10
"""Quoted lines shorter than this ("}", "return;") say nothing about which revision is quoted."""
_TRIVIAL = {"--", "-- ", "", ">"}


def split_comments(thread: Thread, revisions: Sequence[Revision]) -> tuple[Comment, ...]:
    """Every comment of every reply in ``thread``, anchored to ``revisions`` where possible."""
    analysable = [r for r in revisions if r.kind is not RevisionKind.BASE]
    indexes = {r.id: index_revision(r) for r in analysable}
    out: list[Comment] = []
    for message in thread.messages:
        carried = tuple(r for r in analysable if r.message_id == message.message_id)
        if any(r.kind is RevisionKind.FORMAL for r in carried) or not _is_reply(thread, message):
            continue  # a posting of the patch itself is not a comment on it
        anchor_of_run: tuple[str | None, str | None, int | None, str] = (None, None, None, "")
        for para in read_body(message, carried):
            if _is_sign_off(para.text, message):
                continue
            if para.first_of_run:
                anchor_of_run = _anchor(thread, message, para, analysable, indexes)
                rev, path, line, why = anchor_of_run
            else:
                rev, path, line, why0 = anchor_of_run
                why = f"continues the comment above ({why0})" if why0 else ""
            out.append(
                Comment(
                    message_id=message.message_id,
                    author=message.author,
                    date=message.date,
                    text=para.text,
                    quoted="\n".join(q.raw for q in para.quoted),
                    first_line=para.lines[0].line,
                    anchor_revision=rev,
                    anchor_file=path,
                    anchor_line=line,
                    anchor_why=why,
                )
            )
    return tuple(out)


def _is_sign_off(text: str, message: Message) -> bool:
    """A paragraph that is only the author's name ("Jane") closes the mail; it says nothing."""
    name = message.author.name.strip()
    words = text.strip().rstrip(",.").strip()
    return bool(name) and "\n" not in words and words in (name, name.split()[0])


def _is_reply(thread: Thread, message: Message) -> bool:
    return message.message_id != thread.root or message.subject.is_reply


def _ancestors(thread: Thread, message: Message) -> Iterator[Message]:
    """Parent, grandparent, ... (lazily: callers stop at the first that carries a revision)."""
    seen = {message.message_id}
    parent = message.parent or message.in_reply_to
    while parent and parent not in seen:
        m = thread.get(parent)
        if m is None:
            break
        yield m
        seen.add(parent)
        parent = m.parent or m.in_reply_to


def _carried_by(message_id: str, revisions: Sequence[Revision]) -> Revision | None:
    found = [r for r in revisions if r.message_id == message_id]
    return found[-1] if found else None


def _answered_revision(thread: Thread, message: Message, revisions: Sequence[Revision]) -> Revision | None:
    for ancestor in _ancestors(thread, message):
        rev = _carried_by(ancestor.message_id, revisions)
        if rev is not None:
            return rev
    return None


def _anchor(
    thread: Thread,
    message: Message,
    para: Paragraph,
    revisions: Sequence[Revision],
    indexes: dict[str, RevisionIndex],
) -> tuple[str | None, str | None, int | None, str]:
    if para.after_revision is not None and not para.quoted:
        rev = para.after_revision
        last = indexes[rev.id].lines[-1] if indexes[rev.id].lines else None
        if last is not None:
            return rev.id, last.path, last.line, f"follows the diff of {rev.label} proposed in this message"
        return rev.id, None, None, f"follows {rev.label} proposed in this message"
    if para.quoted:
        found = _anchor_quote(thread, message, para.quoted, revisions, indexes)
        if found is not None:
            return found
    answered = _answered_revision(thread, message, revisions)
    if answered is not None:
        return answered.id, None, None, f"replies to the message carrying {answered.label}"
    return None, None, None, ""


def _before(thread: Thread, message: Message, revisions: Sequence[Revision]) -> list[Revision]:
    """Revisions posted before ``message`` (by the carrying message's date: inline patches
    carry their author date in a pseudo-header, which can be days older than the posting)."""
    out = []
    for r in revisions:
        carrier = thread.get(r.message_id)
        when = carrier.date if carrier is not None else r.date
        if r.message_id != message.message_id and when <= message.date:
            out.append(r)
    return out


def _split_marker(content: str) -> tuple[str, str]:
    if content[:1] in ("+", "-", " "):
        return content[:1], normalise(content[1:])
    return "", normalise(content)


def _score(quoted: tuple[QuotedLine, ...], index: RevisionIndex) -> int:
    score = 0
    for q in quoted:
        marker, text = _split_marker(q.content)
        if len(text) < _MIN_SCORING:
            continue
        if index.diff_matches(marker, text) or index.in_message(normalise(q.content)):
            score += 1
    return score


def _align(quoted: tuple[QuotedLine, ...], index: RevisionIndex) -> list[tuple[QuotedLine, DiffLine | str | None]]:
    """Each quoted line with the diff line it is (in order), ``"message"``, or None."""
    out: list[tuple[QuotedLine, DiffLine | str | None]] = []
    previous = -1
    for q in quoted:
        marker, text = _split_marker(q.content)
        hit: DiffLine | str | None = None
        if text:
            candidates = index.diff_matches(marker, text, after=previous)
            if len(text) < _MIN_SCORING:
                # a short line ("}") only counts right after the line before it
                candidates = [c for c in candidates if previous >= 0 and c.index <= previous + 2]
            if candidates:
                hit = candidates[0]
                previous = candidates[0].index
            elif index.in_message(normalise(q.content)):
                hit = "message"
        out.append((q, hit))
    return out


def _anchor_quote(
    thread: Thread,
    message: Message,
    quoted: tuple[QuotedLine, ...],
    revisions: Sequence[Revision],
    indexes: dict[str, RevisionIndex],
) -> tuple[str | None, str | None, int | None, str] | None:
    candidates = _before(thread, message, revisions)
    if not candidates:
        return None
    depth = max((q.depth for q in quoted), default=1)
    # the message the deepest quote comes from breaks ties between revisions sharing lines
    preferred: Revision | None = None
    if depth > 0:
        for ancestor in itertools.islice(_ancestors(thread, message), depth - 1, None):
            preferred = _carried_by(ancestor.message_id, revisions)
            if preferred is not None:
                break
    order = {r.id: k for k, r in enumerate(candidates)}  # candidates keep the posting order
    ranked = sorted(
        candidates,
        key=lambda r: (_score(quoted, indexes[r.id]), r is preferred, order[r.id]),
        reverse=True,
    )
    best = ranked[0]
    if _score(quoted, indexes[best.id]) == 0:
        return None
    aligned = _align(quoted, indexes[best.id])
    meaningful = [(q, hit) for q, hit in aligned if q.content.strip() not in _TRIVIAL]
    if not meaningful:
        return None
    last_q, last_hit = meaningful[-1]
    if last_hit is None:
        # quoted reply prose at the bottom: fall back to the last diff line above it
        for _q, hit in reversed(meaningful):
            if isinstance(hit, DiffLine):
                return best.id, hit.path, hit.line, (
                    f"quoted {best.label} {hit.path}:{hit.line} above the quoted reply it answers"
                )
        return None
    if last_hit == "message":
        if best.kind is RevisionKind.SKETCH:
            return best.id, None, None, f"quotes the message proposing {best.label}"
        return best.id, None, None, f"quotes the commit message of {best.label}"
    if not isinstance(last_hit, DiffLine):
        return None
    return best.id, last_hit.path, last_hit.line, (
        f"quotes {best.label} {last_hit.path}:{last_hit.line} ({last_hit.marker or ' '}{last_hit.text[:60]})"
    )
