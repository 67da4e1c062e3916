"""The message pane: one message split into its comments, quoted lines dimmed by depth, and
after each comment its verdict cards."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
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


@dataclass
class _Drawing:
    """One message as drawn: its widgets in a box of their own, kept while the reader moves on."""

    key: tuple[str, ...]
    """The message and its cards (redrawn only when they change)."""
    box: Vertical
    cards: list[VerdictCard]
    runs: list[tuple[int, Static]]
    """(first body line, widget) of each run of lines."""


class MessagePane(VerticalScroll):
    BINDINGS = [
        Binding("j,down", "scroll_down", "scroll down"),
        Binding("k,up", "scroll_up", "scroll up"),
    ]

    KEEP = 24
    """Messages whose widgets stay mounted (hidden) when another is shown. Mounting a message's
    widgets (styles, then two paints as they settle) is most of what a key costs; showing a
    kept one is a display toggle. The main screen also prepares the next message ahead."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.message_id: str | None = None
        self._drawings: OrderedDict[str, _Drawing] = OrderedDict()

    def show(self, review: Review, revisions: Sequence[Revision], message: Message) -> None:
        """Draw ``message`` with the cards ``review`` has for it so far; a card that had the
        focus keeps it when the review grows."""
        mid = message.message_id
        shown = self._in_view()
        focused = self.screen.focused
        refocus = focused.card.key if isinstance(focused, VerdictCard) else None
        with self.app.batch_update():
            kept = self._kept(review, revisions, message)
            if kept is shown:
                return
            if shown is not None:
                shown.box.display = False
            kept.box.display = True
            new_message, self.message_id = mid != self.message_id, mid
            self._drawings.move_to_end(mid)
            self._evict()
        if new_message:
            self.scroll_home(animate=False)
        for card in self.cards:
            if card.card.key == refocus:
                card.focus(scroll_visible=False)

    def prepare(self, review: Review, revisions: Sequence[Revision], message: Message) -> None:
        """Mount ``message``'s widgets ahead of time, hidden, so that showing it is a toggle."""
        with self.app.batch_update():
            self._kept(review, revisions, message)
            self._evict()

    def _kept(self, review: Review, revisions: Sequence[Revision], message: Message) -> _Drawing:
        """The message as drawn and kept; drawn again (mounted hidden) if its cards changed."""
        parts = message_parts(review, revisions, message)
        key = (message.message_id, *(k for part in parts if isinstance(part, CardsAfter)
                                     for k in (*(c.key for c in part.cards), *part.notices, *part.tag_checks)))
        kept = self._drawings.get(message.message_id)
        if kept is not None and kept.key == key:
            return kept
        if kept is not None:
            kept.box.remove()
        kept = _draw(key, revisions, message, parts)
        kept.box.display = False
        self.mount(kept.box)
        self._drawings[message.message_id] = kept
        return kept

    def _evict(self) -> None:
        while len(self._drawings) > self.KEEP:
            mid, old = next(iter(self._drawings.items()))
            if mid == self.message_id:
                self._drawings.move_to_end(mid)
                continue
            del self._drawings[mid]
            old.box.remove()

    def _in_view(self) -> _Drawing | None:
        return self._drawings.get(self.message_id) if self.message_id is not None else None

    @property
    def cards(self) -> list[VerdictCard]:
        """The cards of the message in view, top to bottom."""
        drawing = self._in_view()
        return drawing.cards if drawing is not None else []

    def shown(self) -> list[Widget]:
        """The widgets of the message in view, top to bottom (header, runs, notices, cards)."""
        drawing = self._in_view()
        return list(drawing.box.children) if drawing is not None else []

    def first_card(self, comment_index: int) -> VerdictCard | None:
        return next((c for c in self.cards if c.comment_index == comment_index), None)

    def scroll_to_line(self, line: int) -> None:
        """Bring body line ``line`` to the top of the pane (once the runs are laid out)."""
        drawing = self._in_view()
        for first, run in reversed(drawing.runs if drawing is not None else []):
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


def _draw(key: tuple[str, ...], revisions: Sequence[Revision], message: Message,
          parts: Sequence[Sequence[MessageLine] | CardsAfter]) -> _Drawing:
    widgets: list[Widget] = [Static(_header(revisions, message), classes="message-header")]
    cards: list[VerdictCard] = []
    runs: list[tuple[int, Static]] = []
    line = 0
    for part in parts:
        if isinstance(part, CardsAfter):
            widgets += [Static(Text(f"✗ {n}"), classes="notice") for n in part.notices]
            if part.tag_checks:
                widgets.append(Static(Text("\n".join(part.tag_checks)), classes="tag-check"))
            made = [VerdictCard(card, part.comment_index) for card in part.cards]
            cards += made
            widgets += made
        else:
            run = Static(_run_text(part), classes="body")
            runs.append((line, run))
            line += len(part)
            widgets.append(run)
    return _Drawing(key, Vertical(*widgets, classes="message"), cards, runs)
