"""The positions (acks, reviews, NAKs, withdrawn acks) given on each revision."""

from __future__ import annotations

from collections.abc import Sequence

from ..model import Position, Revision, RevisionKind, Stance, Thread

__all__ = ["revision_positions", "vetoed"]


def _answered_message(thread: Thread, position: Position, carriers: set[str]) -> str | None:
    """The patch-carrying message a position answers: its own ``answers``, else the nearest
    ancestor of the message it was given in that carries a revision."""
    if position.answers in carriers:
        return position.answers
    message = thread.get(position.message_id)
    seen: set[str] = set()
    while message is not None and message.message_id not in seen:
        seen.add(message.message_id)
        parent = message.parent or message.in_reply_to
        if parent is None:
            return None
        if parent in carriers:
            return parent
        message = thread.get(parent)
    return None


def revision_positions(thread: Thread, revision: Revision, revisions: Sequence[Revision]) -> tuple[Position, ...]:
    """Every position given on ``revision`` (standing or withdrawn), in date order."""
    if revision.kind is RevisionKind.BASE:
        return ()
    carriers = {r.message_id for r in revisions if r.kind is not RevisionKind.BASE}
    out = [
        p
        for p in thread.positions()
        if _answered_message(thread, p, carriers) == revision.message_id
    ]
    return tuple(sorted(out, key=lambda p: p.date))


def vetoed(positions: Sequence[Position]) -> bool:
    """True when a standing NAK is among ``positions``."""
    return any(p.stance is Stance.NAK and p.standing for p in positions)
