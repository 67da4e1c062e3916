"""Errors of the simulator: an input it cannot evaluate is reported, never guessed at."""

from __future__ import annotations

from .._errors import ReviewerError

__all__ = ["NotAnalysed", "ScenarioError"]


class NotAnalysed(ReviewerError):
    """The interpreter met something it cannot evaluate; str() is ``<what> at <file>:<line>``."""


class ScenarioError(ReviewerError):
    """A scenario file is unreadable or malformed."""
