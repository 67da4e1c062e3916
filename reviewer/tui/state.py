"""What every screen draws from: the thread as opened, the review so far, where analysis stands.

The app replaces its :class:`ReviewState` (never mutates it) as results arrive and tells each
screen on its stack; screens read only this.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Protocol

from ..model import Review
from ..pipeline import OpenedThread
from .reply import ReplySettings

__all__ = ["HasState", "ReviewState"]


@dataclass(frozen=True, slots=True)
class ReviewState:
    opened: OpenedThread
    review: Review
    """The review so far (no revisions before the first one is analysed)."""
    analysed: int = 0
    """Revisions analysed so far."""
    complete: bool = False
    status: str = ""
    """The status line's progress text."""
    error: str = ""
    """Why the analysis stopped, when it failed."""

    @classmethod
    def opening(cls, opened: OpenedThread) -> ReviewState:
        review = Review(thread=opened.thread, other_versions=opened.other_versions, notes=opened.notes)
        return cls(opened, review, status="thread read; analysis not started")

    def with_review(self, review: Review, analysed: int, *, complete: bool = False) -> ReviewState:
        return replace(self, review=review, analysed=analysed, complete=complete)

    @property
    def total(self) -> int:
        return len(self.opened.revisions)


class HasState(Protocol):
    """The app, as screens see it."""

    state: ReviewState
    reply_settings: ReplySettings | None
