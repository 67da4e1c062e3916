"""The status line: what the analysis is doing (or why it stopped) on the left, keys on the right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

__all__ = ["StatusLine"]


class StatusLine(Static):
    def __init__(self, hints: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._hints = hints
        self._text = Text()

    def on_mount(self) -> None:
        self._draw()

    def say(self, text: str, *, error: bool = False) -> None:
        self._text = Text(text, style="bold red" if error else "")
        self._draw()

    @property
    def text(self) -> str:
        return self._text.plain

    def _draw(self) -> None:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(self._text, Text(self._hints, style="dim"))
        self.update(grid)
