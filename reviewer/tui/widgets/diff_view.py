"""A revision's diff with a gutter: ``●`` where one of its findings is, ``▸`` where one of its
traces passes (both: ``◆``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from .._revision_view import DiffLine

__all__ = ["DiffView", "render_diff"]

_STYLE = {"file": "bold", "hunk": "cyan", "add": "green", "del": "red", "context": ""}


def _gutter(line: DiffLine) -> Text:
    if line.finding and line.trace:
        return Text("◆ ", style="bold magenta")
    if line.finding:
        return Text("● ", style="bold yellow")
    if line.trace:
        return Text("▸ ", style="bold magenta")
    return Text("  ")


def render_diff(lines: Sequence[DiffLine]) -> Text:
    out = Text()
    for n, line in enumerate(lines):
        if n:
            out.append("\n")
        out.append_text(_gutter(line))
        out.append(line.text, style=_STYLE[line.kind])
    return out


class DiffView(Static):
    def show(self, lines: Sequence[DiffLine]) -> None:
        self.update(render_diff(lines) if lines else Text(" (no diff)", style="dim"))
