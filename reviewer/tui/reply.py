"""``r``: reply to the message in view, as a draft. The one place the draft writer is wired in.

The reply is composed from the Review (once every revision is analysed: a half-analysed thread
would give a half-true reply), opened in $VISUAL / $EDITOR while the app is suspended (as
``b4 review`` does), and saved where ``[drafts]`` says; never sent. What happened is one line
for the status line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported

from .._config import DraftsConfig
from .._errors import DraftError
from ..model import Review

__all__ = ["NOT_COMPLETE", "ReplySettings", "reply"]

NOT_COMPLETE = "r: the analysis is still running; a reply is drafted once every revision is in"


@dataclass(frozen=True, slots=True)
class ReplySettings:
    """What the draft writer needs besides the review."""

    drafts: DraftsConfig
    tree: Path | None
    """Where git's ``user.name`` / ``user.email`` are read when ``[drafts] from`` is empty."""


def reply(app: App[Any], review: Review, message_id: str, settings: ReplySettings | None, *,
          complete: bool) -> str:
    """Draft a reply to ``message_id``; returns what the status line should say."""
    from ..drafts import compose_reply, edit_draft, keep_unsaved, save_draft, sender_address

    if settings is None:
        return "r: draft replies are not configured in this session"
    if not complete:
        return NOT_COMPLETE
    try:
        sender = sender_address(settings.drafts.sender, cwd=settings.tree)
        msg = compose_reply(review, sender=sender, reply_to=message_id,
                            diagrams=settings.drafts.diagrams)
        try:
            with app.suspend():
                msg = edit_draft(msg)
        except SuspendNotSupported:
            return "r: this terminal cannot hand the screen to an editor; use `review draft --edit`"
    except DraftError as exc:
        return f"r: {exc}"
    try:
        where = save_draft(msg, settings.drafts)
    except DraftError as exc:
        # the user's edits are not thrown away with the failed save
        return f"r: {exc}; your edited draft is kept in {keep_unsaved(msg)}"
    return f"draft saved: {where}"
