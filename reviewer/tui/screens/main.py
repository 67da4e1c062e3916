"""The main screen: the thread pane beside the message pane, the status line under them."""

from __future__ import annotations

from typing import cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from ...model import Review, Revision
from ...report._common import latest_revision
from .._thread_view import Card, analysed, find_in_thread, thread_rows
from ..reply import reply
from ..state import HasState
from ..widgets.message_pane import MessagePane
from ..widgets.search_bar import SearchBar
from ..widgets.status_line import StatusLine
from ..widgets.thread_pane import ThreadPane
from ..widgets.verdict_card import VerdictCard
from ._base import ReviewScreen
from .revision import RevisionScreen
from .revisions import RevisionsScreen
from .trace import TraceScreen

__all__ = ["MainScreen"]

HINTS = "j/k move  n/p message  ./, verdict  v revisions  ? help"


class MainScreen(ReviewScreen):
    BINDINGS = [
        Binding("n", "next_message", "next message"),
        Binding("p", "previous_message", "previous message"),
        Binding(".", "next_verdict", "next comment that has a verdict"),
        Binding("comma", "previous_verdict", "previous comment that has a verdict"),
        Binding("]", "next_revision", "next message carrying a revision"),
        Binding("[", "previous_revision", "previous message carrying a revision"),
        Binding("t", "trace", "trace of the focused card"),
        Binding("v", "revisions", "revisions"),
        Binding("D", "range_diff", "range-diff of the revision in view"),
        Binding("c", "checks", "checks of the revision in view"),
        Binding("/", "search", "search in the thread"),
        Binding("r", "reply", "reply (a draft)"),
        Binding("escape", "back", "back to the thread pane"),
        Binding("q", "app.quit", "quit"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._drawn: Review | None = None
        """The review the panes show (a status change alone redraws only the status line)."""

    def compose(self) -> ComposeResult:
        yield Static(id="title")
        with Horizontal(id="panes"):
            yield ThreadPane(id="thread")
            yield MessagePane(id="message")
        yield SearchBar(id="search")
        yield StatusLine(HINTS, id="status")

    def on_mount(self) -> None:
        self.query_one(SearchBar).display = False
        self.state_changed()
        self.query_one(ThreadPane).focus()

    # ------------------------------------------------------------------ drawing

    def state_changed(self) -> None:
        state = self.state
        self.query_one(StatusLine).say(state.error or state.status, error=bool(state.error))
        if state.review is self._drawn:
            return  # only the status changed
        self._drawn = state.review
        root = state.review.thread.get(state.review.thread.root)
        count = f"{state.total} revision{'s' if state.total != 1 else ''}"
        if state.total and not state.complete:
            count += f" · {state.analysed} analysed"
        title = f" reviewer  {root.subject.title if root else state.review.thread.root}"
        self.query_one("#title", Static).update(f"{title}   [{count}]")
        pane = self.query_one(ThreadPane)
        pane.show_rows(thread_rows(state.review, state.opened.revisions))
        current = pane.current_message()
        if current is not None:
            self._draw_message(current)

    def _draw_message(self, message_id: str) -> None:
        state = self.state
        self.query_one(MessagePane).show(state.review, state.opened.revisions,
                                         state.review.thread[message_id])
        # n is the key pressed most: have the next message ready (hidden) once this one is drawn
        self.call_after_refresh(self._prepare_after, message_id)

    def _prepare_after(self, message_id: str) -> None:
        order = self._order()
        n = order.index(message_id) + 1 if message_id in order else len(order)
        if n < len(order):
            state = self.state
            self.query_one(MessagePane).prepare(state.review, state.opened.revisions,
                                                state.review.thread[order[n]])

    @on(DataTable.RowHighlighted, "#thread")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._draw_message(event.row_key.value)

    @on(DataTable.RowSelected, "#thread")
    def _selected(self, event: DataTable.RowSelected) -> None:
        pane = self.query_one(MessagePane)
        (pane.cards[0] if pane.cards else pane).focus()

    def say(self, text: str) -> None:
        self.query_one(StatusLine).say(text)

    # ------------------------------------------------------------------ moving

    def _order(self) -> list[str]:
        return [str(key.value) for key in self.query_one(ThreadPane).rows]

    def _current(self) -> str:
        return self.query_one(ThreadPane).current_message() or self.state.review.thread.root

    def select(self, message_id: str) -> None:
        """Show ``message_id`` (at once: the thread pane's highlight event comes later)."""
        self.query_one(ThreadPane).select_message(message_id)
        self._draw_message(message_id)

    def _step_message(self, step: int) -> None:
        order = self._order()
        n = order.index(self._current()) + step
        if 0 <= n < len(order):
            self.select(order[n])

    def action_next_message(self) -> None:
        self._step_message(1)

    def action_previous_message(self) -> None:
        self._step_message(-1)

    def _step_verdict(self, step: int) -> None:
        order = {mid: n for n, mid in enumerate(self._order())}
        comments = self.state.review.comments
        targets = sorted((order[cr.comment.message_id], cr.comment.first_line, n)
                         for n, cr in enumerate(comments) if cr.links and cr.comment.message_id in order)
        focused = self.focused
        if isinstance(focused, VerdictCard):
            c = comments[focused.comment_index].comment
            here = (order[c.message_id], c.first_line)
        else:
            here = (order[self._current()], -1)
        found = [t for t in targets if (t[0], t[1]) > here] if step > 0 else \
            [t for t in targets if (t[0], t[1]) < here][::-1]
        if not found:
            waiting = "" if self.state.complete else " yet (analysis is running)"
            self.say(f"no {'next' if step > 0 else 'previous'} comment with a verdict{waiting}")
            return
        comment_index = found[0][2]
        self.select(comments[comment_index].comment.message_id)
        self.call_after_refresh(self._focus_card, comment_index)

    def _focus_card(self, comment_index: int) -> None:
        """Focus the comment's first card, the comment's own lines (and the last quoted ones above
        them) at the top of the pane: the verdict is read beside the paragraph it answers."""
        pane = self.query_one(MessagePane)
        card = pane.first_card(comment_index)
        if card is None:
            return
        card.focus(scroll_visible=False)
        pane.scroll_to_line(max(0, self.state.review.comments[comment_index].comment.first_line - 2))
        pane.call_after_refresh(pane.scroll_to_widget, card, animate=False, immediate=True)

    def action_next_verdict(self) -> None:
        self._step_verdict(1)

    def action_previous_verdict(self) -> None:
        self._step_verdict(-1)

    def _step_revision(self, step: int) -> None:
        order = {mid: n for n, mid in enumerate(self._order())}
        carried = sorted((order[r.message_id], r.diff_first_line, r.label)
                         for r in self.state.opened.revisions if r.message_id in order)
        here = order[self._current()]
        found = [c for c in carried if c[0] > here] if step > 0 else [c for c in carried if c[0] < here][::-1]
        if not found:
            self.say(f"no {'next' if step > 0 else 'previous'} revision")
            return
        row, line, label = found[0]
        self.select(self._order()[row])
        self.query_one(MessagePane).scroll_to_line(line)
        self.say(label)

    def action_next_revision(self) -> None:
        self._step_revision(1)

    def action_previous_revision(self) -> None:
        self._step_revision(-1)

    def action_back(self) -> None:
        self.query_one(ThreadPane).focus()

    # ------------------------------------------------------------------ opening

    def _focused_card(self) -> VerdictCard | None:
        if isinstance(self.focused, VerdictCard):
            return self.focused
        cards = self.query_one(MessagePane).cards
        return cards[0] if cards else None

    def _revision_in_view(self) -> Revision | None:
        """The focused card's revision, else the one this message carries, else the one its
        comments answer, else the latest."""
        state = self.state
        card = self.focused
        wanted = card.card.revision_id if isinstance(card, VerdictCard) else None
        mid = self._current()
        carried = [r for r in state.opened.revisions if r.message_id == mid]
        if wanted is None and carried:
            wanted = carried[-1].id
        if wanted is None:
            wanted = next((cr.comment.anchor_revision for cr in state.review.comments
                           if cr.comment.message_id == mid and cr.comment.anchor_revision), None)
        if wanted is None:
            latest = latest_revision(state.review)
            wanted = latest.revision.id if latest else None
        if wanted is None and state.opened.revisions:
            wanted = state.opened.revisions[-1].id
        return next((r for r in state.opened.revisions if r.id == wanted), None) or \
            next((rr.revision for rr in state.review.revisions if rr.revision.id == wanted), None)

    def _open_revision(self, section: str) -> None:
        revision = self._revision_in_view()
        if revision is None:
            self.say("no revision in this thread")
            return
        self.app.push_screen(RevisionScreen(revision.id, section=section))

    def action_revisions(self) -> None:
        self.app.push_screen(RevisionsScreen())

    def action_range_diff(self) -> None:
        self._open_revision("range-diff")

    def action_checks(self) -> None:
        self._open_revision("checks")

    def action_trace(self) -> None:
        card = self._focused_card()
        if card is None:
            self.say("no verdict card here" + ("" if self.state.complete else " yet"))
        else:
            self._open_card(card.card)

    @on(VerdictCard.Opened)
    def _card_opened(self, event: VerdictCard.Opened) -> None:
        self._open_card(event.card)

    def _open_card(self, shown: Card) -> None:
        if shown.violation is not None:
            self.app.push_screen(TraceScreen(shown))
        elif analysed(self.state.review, shown.revision_id) is not None:
            self.app.push_screen(RevisionScreen(shown.revision_id, section="checks"))

    def action_search(self) -> None:
        self.query_one(SearchBar).open()

    @on(SearchBar.Search)
    def _search(self, event: SearchBar.Search) -> None:
        order = self._order()
        thread = self.state.review.thread
        found = find_in_thread([thread[mid] for mid in order], order.index(self._current()), event.query)
        if found is None:
            self.say(f"/{event.query}: not found")
            return
        n, line = found
        self.select(order[n])
        self.query_one(MessagePane).scroll_to_line(line)
        self.say(f"/{event.query}: {thread[order[n]].author.display}, {thread[order[n]].date:%d %b}")

    def action_reply(self) -> None:
        settings = cast(HasState, self.app).reply_settings
        self.say(reply(self.app, self.state.review, self._current(), settings,
                       complete=self.state.complete))
