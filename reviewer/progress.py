"""Progress reporting for long stages, as a one-method-per-event interface.

The pipeline reports through a :class:`Progress`; batch mode shows rich progress bars on stderr,
tests and the JSON path pass :data:`SILENT`, a TUI can show a status line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

__all__ = ["SILENT", "Progress", "RichStderrProgress", "Silent", "rich_progress"]


class Progress(Protocol):
    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage starts (``fetch``, ``apply``, ``simulate``...); total steps if known."""

    def advance(self, detail: str = "") -> None:
        """One step of the current stage is done."""

    def note(self, text: str) -> None:
        """A status message (retrieval uses it for what it is fetching)."""


class Silent:
    def stage(self, name: str, total: int | None = None) -> None:
        pass

    def advance(self, detail: str = "") -> None:
        pass

    def note(self, text: str) -> None:
        pass


SILENT = Silent()


class RichStderrProgress:
    """One rich progress bar per stage, on stderr (only drawn when stderr is a terminal)."""

    def __init__(self, bars: RichProgress) -> None:
        self._bars = bars
        self._task: TaskID | None = None

    def stage(self, name: str, total: int | None = None) -> None:
        if self._task is not None:
            self._bars.update(self._task, completed=self._bars.tasks[-1].total or 0)
        self._task = self._bars.add_task(name, total=total)

    def advance(self, detail: str = "") -> None:
        if self._task is not None:
            self._bars.advance(self._task)
            if detail:
                self._bars.update(self._task, description=detail)

    def note(self, text: str) -> None:
        if self._task is None:
            self._task = self._bars.add_task(text, total=None)
        else:
            self._bars.update(self._task, description=text)


@contextmanager
def rich_progress() -> Iterator[Progress]:
    console = Console(stderr=True)
    if not console.is_terminal:
        yield SILENT
        return
    bars = RichProgress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with bars:
        yield RichStderrProgress(bars)
