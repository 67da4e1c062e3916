"""``r``: reply to the message in view. The one place the draft writer is wired in.

When ``reviewer.drafts`` lands, this composes the reply from the Review, lets the user edit it
in $EDITOR while the app is suspended (``app.suspend()``) and saves it where the configuration
says; the key binding and the status line stay as they are.
"""

from __future__ import annotations

from typing import Any

from textual.app import App

from ..model import Review

__all__ = ["DRAFTS_NOT_AVAILABLE", "reply"]

DRAFTS_NOT_AVAILABLE = "r: draft replies are not available yet (they come with `review draft`)"


def reply(app: App[Any], review: Review, message_id: str) -> str:
    """Write a draft reply to ``message_id``; returns what the status line should say."""
    del app, review, message_id  # used once drafts exist
    return DRAFTS_NOT_AVAILABLE
