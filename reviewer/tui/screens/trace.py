"""The trace view: the interleaving behind one verdict card, scrollable, breaking step marked."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...model import Status
from .._revision_view import breaking_step
from .._thread_view import Card
from ..widgets.status_line import StatusLine
from ..widgets.trace_view import MARK, TraceView
from ._base import ReviewScreen

__all__ = ["TraceScreen"]


class TraceScreen(ReviewScreen):
    BINDINGS = [
        Binding("j,down", "scroll('down')", "scroll down"),
        Binding("k,up", "scroll('up')", "scroll up"),
        Binding("escape,q", "app.pop_screen", "back"),
    ]

    def __init__(self, card: Card) -> None:
        super().__init__()
        self.card = card

    def compose(self) -> ComposeResult:
        card, violation = self.card, self.card.violation
        assert violation is not None, "only simulator cards have a trace"
        status = card.status.value if card.status else ""
        head = Text(f" {violation.property} {status} in {card.group.revision_label}",
                    style="bold red" if card.status is Status.INTRODUCED else "bold")
        head.append(f" · {card.where}", style="")
        head.append(f"\n {violation.detail}")
        yield Static(head, id="title")
        with VerticalScroll(id="trace"):
            yield TraceView(violation)
        yield StatusLine("j/k scroll  esc back", id="status")

    def on_mount(self) -> None:
        violation = self.card.violation
        assert violation is not None
        if breaking_step(violation) is None:
            self.query_one(StatusLine).say(f"{MARK} judged on the final state, after all threads ran")
        else:
            self.query_one(StatusLine).say(f"{MARK} the step that breaks {violation.property}")
        self.query_one("#trace").focus()

    def action_scroll(self, direction: str) -> None:
        pane = self.query_one("#trace", VerticalScroll)
        pane.scroll_down() if direction == "down" else pane.scroll_up()
