"""Messages the analysis worker posts to the app (toolong's messages.py shape): one dataclass
each, posted from the worker thread, handled on the app's event loop."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from ..model import Review
from ..pipeline import RevisionAnalysed

__all__ = ["AnalysisFailed", "AnalysisStatus", "RevisionDone", "ReviewDone"]


@dataclass
class AnalysisStatus(Message):
    """What the analysis is doing now (apply, simulate, check), for the status line."""

    text: str


@dataclass
class RevisionDone(Message):
    """One revision simulated and checked; the event carries the review so far."""

    event: RevisionAnalysed


@dataclass
class ReviewDone(Message):
    """The whole review is in: the same Review the batch report prints."""

    review: Review


@dataclass
class AnalysisFailed(Message):
    """The analysis stopped on an error; the thread stays readable and the error is shown."""

    error: str
