"""``?``: every key, per screen, read from the screens' own bindings (so it cannot go stale)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap, BindingType
from textual.containers import VerticalScroll
from textual.keys import key_to_character
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "key_table"]

_NAMES = {"escape": "esc", "enter": "enter", "down": "↓", "up": "↑", "slash": "/"}

HelpSection = tuple[str, Sequence[Sequence[BindingType]]]
"""A title and the BINDINGS lists of the screen and the widgets it holds."""


def _key(key: str) -> str:
    return _NAMES.get(key) or key_to_character(key) or key


def key_table(sections: Sequence[HelpSection]) -> list[tuple[str, str, str]]:
    """(section, keys, what they do), keys doing the same thing on one row."""
    rows: list[tuple[str, str, str]] = []
    for title, binding_lists in sections:
        seen: dict[str, list[str]] = {}
        for bindings in binding_lists:
            for binding in BindingsMap(bindings).key_to_bindings.values():
                for b in binding:
                    seen.setdefault(b.description or b.action, []).append(_key(b.key))
        rows += [(title, " ".join(dict.fromkeys(keys)), what) for what, keys in seen.items()]
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,?", "dismiss", "close the help")]

    def __init__(self, sections: Sequence[HelpSection]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        table = Table(title="keys", expand=True, box=None)
        table.add_column("where", style="dim")
        table.add_column("keys", style="bold")
        table.add_column("what")
        for where, keys, what in key_table(self.sections):
            table.add_row(where, keys, what)
        with VerticalScroll(id="help"):
            yield Static(table)
