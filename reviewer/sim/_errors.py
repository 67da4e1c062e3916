"""Errors of the simulator: an input it cannot evaluate is reported, never guessed at."""

from __future__ import annotations

from .._errors import ReviewerError

__all__ = ["BudgetExceeded", "NotAnalysed", "ScenarioError"]


class NotAnalysed(ReviewerError):
    """The interpreter met something it cannot evaluate; str() is ``<what> at <file>:<line>``."""


class ScenarioError(ReviewerError):
    """A scenario file is unreadable or malformed."""


class BudgetExceeded(ReviewerError):
    """A thread ran more loop iterations than the step budget allows (code that loops forever
    without touching shared state never yields, so the explorer's step budget cannot cut it)."""
