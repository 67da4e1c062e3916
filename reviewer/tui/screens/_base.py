"""What every screen of the app shares: the state it draws from, and being told it changed."""

from __future__ import annotations

from typing import cast

from textual.screen import Screen

from ..state import HasState, ReviewState

__all__ = ["ReviewScreen"]


class ReviewScreen(Screen[None]):
    @property
    def state(self) -> ReviewState:
        return cast(HasState, self.app).state

    def state_changed(self) -> None:
        """The review grew (a revision was analysed) or the analysis status changed."""
