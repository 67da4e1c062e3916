"""The terminal UI (``review tui``): the thread with each verdict beside the comment it answers.

A pure view of :class:`reviewer.model.Review`: the thread is painted from the opened thread,
then the pipeline's stream fills in the verdicts revision by revision. Imported lazily (PEP 562)
so that batch mode never loads Textual.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Analyse, ReplySettings, ReviewerApp

__all__ = ["Analyse", "ReplySettings", "ReviewerApp"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import app

        return getattr(app, name)
    raise AttributeError(name)
