"""The trace view's body: a counterexample as two columns, CPU0 | CPU1, one row per step, the
statement's file:line and source above the state change it made, the breaking step marked."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...model import TraceStep, Violation
from ...sim.system import HARNESS_CPU
from .._revision_view import breaking_step

__all__ = ["TraceView", "render_trace"]

MARK = "▶"


def _cell(step: TraceStep, show_source: bool) -> Text:
    text = Text()
    if show_source:
        text.append(f"{step.file.rsplit('/', 1)[-1]}:{step.line}: ", style="cyan")
        text.append(step.source.strip())
        text.append("\n")
    fn = f"{step.function}: " if step.function else ""
    text.append(f"  {fn}{step.effect}")
    return text


def render_trace(violation: Violation) -> Table:
    steps = violation.trace
    cpus = sorted({s.cpu for s in steps if s.cpu != HARNESS_CPU}) or [0]
    heads = {c: next((s.thread for s in steps if s.cpu == c), "") for c in cpus}
    breaks = breaking_step(violation)
    table = Table(expand=True, show_lines=False, box=None, padding=(0, 1))
    table.add_column("", width=1, no_wrap=True)
    for n, c in enumerate(cpus):
        table.add_column(f"CPU{n} ({heads[c]})", ratio=1, style="", header_style="bold")
    last: dict[int, tuple[str, int]] = {}
    for i, step in enumerate(steps):
        final = step.cpu == HARNESS_CPU
        marked = i == breaks or (breaks is None and final)
        cells = [Text("") for _ in cpus]
        if final:
            cells[0] = Text(f"after all threads: {step.effect}", style="italic")
        else:
            shown = last.get(step.cpu) != (step.file, step.line)
            last[step.cpu] = (step.file, step.line)
            cells[cpus.index(step.cpu)] = _cell(step, shown)
        table.add_row(Text(MARK if marked else "", style="bold red"), *cells,
                      style="reverse bold" if marked else None)
    return table


class TraceView(Static):
    def __init__(self, violation: Violation, *, id: str | None = None) -> None:
        super().__init__(render_trace(violation), id=id)
