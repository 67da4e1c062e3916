"""Where a comment's verdicts stand in the anchored revision and every later one.

``present``: the same property is violated there (same scenario x configuration for the
simulator, same check id for checks). ``fixed``: it was present earlier and that revision was
analysed and no longer shows it. ``n/a``: the revision was not analysed (did not apply, the
scenario was not run or not analysed there) or the check does not apply to it (a
commit-message check on a sketch that has no commit message).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..model import Comment, CommentLink, Finding, RevisionKind, RevisionReview, Status, Thread
from .identity import finding_identity

__all__ = ["addressed", "ordered_revisions", "same_finding", "standing_of_link"]

_COMMIT_MESSAGE = "COMMIT_MSG"
"""``Finding.file`` of commit-message findings (reviewer.check_api.COMMIT_MESSAGE)."""


def ordered_revisions(revision_reviews: Sequence[RevisionReview], thread: Thread) -> list[RevisionReview]:
    """The analysed revisions (not the base) in posting order."""

    def posted(rr: RevisionReview) -> datetime:
        # the carrying message's date: an inline patch's own Date is its author date
        carrier = thread.get(rr.revision.message_id)
        return carrier.date if carrier is not None else rr.revision.date

    revs = [rr for rr in revision_reviews if rr.revision.kind is not RevisionKind.BASE]
    return sorted(revs, key=posted)


def standing_of_link(link: CommentLink, rr: RevisionReview, origin: RevisionReview) -> str:
    """``present`` | ``absent`` | ``n/a`` for one link's verdict in revision ``rr``."""
    if rr.applied is not None and not rr.applied.applied:
        return "n/a"
    if link.source == "simulator":
        analysed = False
        for verdict in rr.sim_verdicts:
            if verdict.scenario != link.scenario or verdict.config != link.config:
                continue
            if verdict.outcome == "not-analysed":
                continue
            analysed = True
            if any(v.property == link.what and v.status is not Status.FIXED for v in verdict.violations):
                return "present"
        return "absent" if analysed else "n/a"
    if any(same_finding(link, f) and f.status is not Status.FIXED for f in rr.findings):
        return "present"
    if rr.applied is None:
        return "n/a"
    original = [f for f in origin.findings if f.check == link.what]
    about_message = bool(original) and all(f.file in ("", _COMMIT_MESSAGE) for f in original)
    has_message = rr.revision.kind is not RevisionKind.SKETCH and rr.revision.commit_message.strip()
    if about_message and not has_message:
        return "n/a"  # a sketch's surrounding prose is not a commit message
    return "absent"


def same_finding(link: CommentLink, f: Finding) -> bool:
    """Whether ``f`` is the finding ``link`` points at: the same check and, when the link knows
    which finding, that finding (not another one of the same check elsewhere in the function)."""
    return f.check == link.what and (not link.finding or link.finding == finding_identity(f))


def addressed(
    comment: Comment,
    links: Sequence[CommentLink],
    revision_reviews: Sequence[RevisionReview],
    thread: Thread,
) -> tuple[tuple[str, str], ...]:
    """(revision label, ``present`` | ``fixed`` | ``n/a``) from the anchored revision on, for
    ``links`` (the caller passes the comment's best-supported links)."""
    if not links or comment.anchor_revision is None:
        return ()
    ordered = ordered_revisions(revision_reviews, thread)
    start = next((i for i, rr in enumerate(ordered) if rr.revision.id == comment.anchor_revision), None)
    if start is None:
        return ()
    origin = ordered[start]
    seen_present = False
    out: list[tuple[str, str]] = []
    for rr in ordered[start:]:
        states = {standing_of_link(link, rr, origin) for link in links}
        if "present" in states:
            state = "present"
            seen_present = True
        elif "absent" in states and seen_present:
            state = "fixed"
        else:
            state = "n/a"
        out.append((rr.revision.label, state))
    return tuple(out)
