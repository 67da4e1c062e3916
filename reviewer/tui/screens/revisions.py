"""The revisions screen: one row per revision (and base) with whether it applies, what it
introduces, keeps and fixes, and who stands where on it. Enter opens the revision."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .._revision_view import revision_rows
from ..widgets.status_line import StatusLine
from ._base import ReviewScreen
from .revision import RevisionScreen

__all__ = ["RevisionsScreen"]

_COLUMNS = ("revision", "kind", "author", "date", "applies", "introduced", "pre-existing", "fixed",
            "positions")


class RevisionsScreen(ReviewScreen):
    BINDINGS = [
        Binding("j,down,]", "move(1)", "next revision"),
        Binding("k,up,[", "move(-1)", "previous revision"),
        Binding("enter", "open", "open the revision"),
        Binding("escape,q", "app.pop_screen", "back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(" revisions", id="title")
        table: DataTable[str] = DataTable(id="revisions", cursor_type="row", zebra_stripes=True)
        for name in _COLUMNS:
            table.add_column(name, key=name)
        yield table
        yield StatusLine("enter open  j/k move  esc back", id="status")

    def on_mount(self) -> None:
        self.state_changed()
        self.query_one(DataTable).focus()

    def state_changed(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for r in revision_rows(self.state.review, self.state.opened.revisions):
            table.add_row(r.label, r.kind, r.author, r.date, r.applies, r.introduced, r.pre_existing,
                          r.fixed, r.positions, key=r.revision_id)
        table.move_cursor(row=row)
        self.query_one(StatusLine).say(self.state.error or self.state.status, error=bool(self.state.error))

    def action_move(self, step: int) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        table.move_cursor(row=table.cursor_row + step)

    def action_open(self) -> None:
        table: DataTable[str] = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key is not None:
                self.app.push_screen(RevisionScreen(key))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()
