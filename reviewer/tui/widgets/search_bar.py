"""``/``: the search prompt under the panes (hidden until asked for)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

__all__ = ["SearchBar"]


class SearchBar(Input):
    BINDINGS = [Binding("escape", "close", "close the search", show=False)]

    @dataclass
    class Search(Message):
        """Search the thread for ``query`` from the message after the one in view."""

        query: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="search the thread (author, subject, body); enter: next match", id=id)

    def open(self) -> None:
        self.display = True
        self.focus()

    def action_close(self) -> None:
        self.display = False
        self.screen.focus_next()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.post_message(self.Search(event.value.strip()))
        self.action_close()
