"""The message pane: one message split into its comments, quoted lines dimmed by depth, and
after each comment its verdict cards."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...model import Message, Review, Revision, SegmentKind
from .._thread_view import CardsAfter, MessageLine, message_parts
from .verdict_card import VerdictCard

__all__ = ["MessagePane"]

_QUOTE_STYLES = ("", "grey62", "grey50 dim", "grey42 dim")
_DIFF_STYLE = {"+": "green", "-": "red", "@": "cyan"}


def _line_style(line: MessageLine) -> str:
    if line.kind is SegmentKind.QUOTED:
        return _QUOTE_STYLES[min(line.depth, len(_QUOTE_STYLES) - 1)]
    if line.kind is SegmentKind.DIFF:
        return _DIFF_STYLE.get(line.text[:1], "")
    if line.kind is SegmentKind.SIGNATURE:
        return "dim"
    return ""


def _run_text(run: Sequence[MessageLine]) -> Text:
    text = Text()
    for n, line in enumerate(run):
        text.append(line.text + ("\n" if n < len(run) - 1 else ""), style=_line_style(line) or None)
    return text


def _header(revisions: Sequence[Revision], message: Message) -> Text:
    text = Text(message.author.display, style="bold")
    text.append(f" · {message.date:%a %d %b %Y %H:%M %z}")
    carried = [r.label for r in revisions if r.message_id == message.message_id]
    if carried:
        text.append(" · carries " + ", ".join(carried), style="bold cyan")
    text.append("\n")
    text.append(message.subject.raw or "(no subject)", style="italic")
    return text


class MessagePane(VerticalScroll):
    BINDINGS = [
        Binding("j,down", "scroll_down", "scroll down"),
        Binding("k,up", "scroll_up", "scroll up"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message_id: str | None = None
        self.cards: list[VerdictCard] = []
        self._drawn: tuple[str, ...] = ()
        """The message and its cards as drawn (redrawn only when they change)."""
        self._runs: list[tuple[int, Static]] = []
        """(first body line, widget) of each run of lines."""

    def show(self, review: Review, revisions: Sequence[Revision], message: Message) -> None:
        """Draw ``message`` with the cards ``review`` has for it so far; a card that had the
        focus keeps it when the review grows."""
        parts = message_parts(review, revisions, message)
        drawn = (message.message_id, *(key for part in parts if isinstance(part, CardsAfter)
                                       for key in (*(c.key for c in part.cards), *part.notices,
                                                   *part.tag_checks)))
        if drawn == self._drawn:
            return
        focused = self.screen.focused
        refocus = focused.card.key if isinstance(focused, VerdictCard) else None
        new_message = message.message_id != self.message_id
        self.message_id, self._drawn = message.message_id, drawn
        self.cards, self._runs = [], []
        widgets: list[Widget] = [Static(_header(revisions, message), classes="message-header")]
        line = 0
        for part in parts:
            if isinstance(part, CardsAfter):
                widgets += [Static(Text(f"✗ {n}"), classes="notice") for n in part.notices]
                if part.tag_checks:
                    widgets.append(Static(Text("\n".join(part.tag_checks)), classes="tag-check"))
                cards = [VerdictCard(card, part.comment_index) for card in part.cards]
                self.cards += cards
                widgets += cards
            else:
                run = Static(_run_text(part), classes="body")
                self._runs.append((line, run))
                line += len(part)
                widgets.append(run)
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(widgets)
        if new_message:
            self.scroll_home(animate=False)
        for card in self.cards:
            if card.card.key == refocus:
                card.focus(scroll_visible=False)

    def first_card(self, comment_index: int) -> VerdictCard | None:
        return next((c for c in self.cards if c.comment_index == comment_index), None)

    def scroll_to_line(self, line: int) -> None:
        """Bring body line ``line`` to the top of the pane (once the runs are laid out)."""
        for first, run in reversed(self._runs):
            if first <= line:
                self.call_after_refresh(self._run_to_top, run, line - first)
                return

    def _run_to_top(self, run: Static, within: int) -> None:
        # the run's lines wrap in a narrow pane: count the rows the lines above ``within`` take
        text = run.content
        rows = within
        if isinstance(text, Text) and run.size.width:
            rows = sum(len(line.wrap(self.app.console, run.size.width))
                       for line in text.split("\n", allow_blank=True)[:within])
        self.scroll_to(y=run.virtual_region.y + rows, animate=False, immediate=True)
