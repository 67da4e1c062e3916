"""The thread pane: the reply tree, one row per message, with the revision it carries, the
positions it gives and how many verdicts are linked to it."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from .._thread_view import RevisionState, ThreadRow

__all__ = ["ThreadPane"]

_BADGE_STYLE = {
    RevisionState.PENDING: "dim",
    RevisionState.CLEAN: "bold green",
    RevisionState.INTRODUCES: "bold red",
    RevisionState.NOT_APPLIED: "bold red strike",
}


def _row_text(row: ThreadRow) -> Text:
    text = Text(row.guides, style="dim")
    text.append(f"{row.date} ", style="dim")
    text.append(row.author, style="bold")
    for badge in row.revisions:
        text.append(" ")
        text.append(f"[{badge.text}]", style=_BADGE_STYLE[badge.state])
    for stance, standing in row.stances:
        text.append(" ")
        if not standing:
            text.append(f"{stance} ✗", style="dim strike")
        else:
            text.append(stance, style="bold red" if stance == "NAK" else "green")
    return text


_COUNT_WIDTH = 3


def _cells(row: ThreadRow) -> tuple[Text, Text]:
    count = Text(str(row.verdicts) if row.verdicts else "", style="bold magenta", justify="right")
    return _row_text(row), count


class ThreadPane(DataTable[Text]):
    """Rows keyed by Message-ID; highlighting one shows it in the message pane."""

    BINDINGS = [
        Binding("j,down", "cursor_down", "next row"),
        Binding("k,up", "cursor_up", "previous row"),
        Binding("enter", "select_cursor", "open the message (its first verdict card)"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", show_header=False, zebra_stripes=False)
        self._rows: list[ThreadRow] = []
        self._width = 0

    def on_resize(self) -> None:
        # the count sits at the pane's right edge: the message column takes what is left
        width = max(20, self.scrollable_content_region.width - _COUNT_WIDTH - 4 * self.cell_padding)
        if width != self._width:
            self._width = width
            self.show_rows(self._rows, rebuild=True)

    def show_rows(self, rows: list[ThreadRow], *, rebuild: bool = False) -> None:
        """Draw ``rows``: the same messages are updated in place (the cursor stays put)."""
        old, self._rows = self._rows, rows
        keys = [row.message_id for row in rows]
        if rebuild or not self.columns or keys != [key.value for key in self.rows]:
            current = self.current_message()
            self.clear(columns=True)
            self.add_column("message", key="message", width=self._width or None)
            self.add_column("verdicts", key="verdicts", width=_COUNT_WIDTH)
            for row in rows:
                self.add_row(*_cells(row), key=row.message_id)
            if current in keys:
                self.move_cursor(row=keys.index(current), scroll=False)
            return
        # only the rows that changed: each update_cell re-measures the table
        for row, was in zip(rows, old, strict=True):
            if row != was:
                text, count = _cells(row)
                self.update_cell(row.message_id, "message", text)
                self.update_cell(row.message_id, "verdicts", count)

    def current_message(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

    def select_message(self, message_id: str) -> None:
        self.move_cursor(row=self.get_row_index(message_id))
