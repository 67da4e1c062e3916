"""A verdict card: one property (or check) a comment is about, on one revision.

Collapsed it is three lines; focused it opens up (the whole "why", the violation, where the
verdict stands in later revisions) and stays open. Enter, or a double click, opens its evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static

from ...model import Status
from .._thread_view import Card

__all__ = ["VerdictCard"]

_STATUS_STYLE: dict[Status | None, str] = {Status.INTRODUCED: "bold red", Status.PRE_EXISTING: "yellow", Status.FIXED: "green"}
_STATUS_CLASS: dict[Status | None, str] = {Status.INTRODUCED: "-introduced", Status.PRE_EXISTING: "-pre-existing", Status.FIXED: "-fixed"}
_ADDRESSED_STYLE = {"present": "red", "fixed": "green"}


def _head(card: Card) -> Text:
    mark = "✓ " if card.status is Status.FIXED else "✗ "
    text = Text(mark + card.group.what, style="bold")
    status = card.status.value if card.status is not None else card.group.source
    text.append(f"  {status} in {card.group.revision_label}", style=_STATUS_STYLE.get(card.status, ""))
    if card.group.source == "check":
        text.append("  (check)", style="dim")
    return text


def render_card(card: Card, *, expanded: bool) -> Group:
    lines = [_head(card), Text(f"{card.where}", style="dim")]
    if expanded:
        lines.append(Text(f"why: {card.group.why}", style="italic"))
        if card.detail:
            lines.append(Text(card.detail))
        if card.comment.addressed:
            row = Text("addressed: ")
            for n, (label, state) in enumerate(card.comment.addressed):
                row.append(" · " if n else "")
                row.append(f"{label} {state}", style=_ADDRESSED_STYLE.get(state, "dim"))
            lines.append(row)
        hint = "enter: trace" if card.violation is not None else "enter: checks of the revision"
        lines.append(Text(f"{hint} · .: next verdict · ,: previous", style="dim"))
    else:
        lines.append(Text(f"why: {card.group.why}", style="italic", no_wrap=True, overflow="ellipsis"))
    return Group(*lines)


class VerdictCard(Static, can_focus=True):
    BINDINGS = [Binding("enter", "open", "open the trace (a check: the revision's checks)", show=False)]

    @dataclass
    class Opened(Message):
        """Enter (or a double click) on a card: show its evidence."""

        card: Card

    def __init__(self, card: Card, comment_index: int) -> None:
        super().__init__(render_card(card, expanded=False), classes=_STATUS_CLASS.get(card.status, ""))
        self.card = card
        self.comment_index = comment_index
        """Index of the card's comment in ``Review.comments``."""

    def on_focus(self) -> None:
        # it stays open once read: closing it again would move everything below it, and the
        # pane scrolls to comments above cards as they are reached
        self.update(render_card(self.card, expanded=True))

    def on_click(self, event: events.Click) -> None:
        # the first click focuses the card (and opens it up); a double click opens its evidence
        if event.chain >= 2:
            self.action_open()

    def action_open(self) -> None:
        self.post_message(self.Opened(self.card))
