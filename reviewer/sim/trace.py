"""Counterexample traces: recorded steps to TraceSteps, and the two-column CPU0 | CPU1 rendering."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from ..model import TraceStep, Violation
from .system import HARNESS_CPU, RawStep

__all__ = ["format_trace", "symbols_of", "trace_steps"]

_SYMBOLS = ("PageHead", "PageCompound", "PageTail", "PageMemcgKmem", "page_memcg", "memcg_data",
            "PG_head", "refcount", "compound_order", "compound_nr", "pcp", "buddy")
_COLUMN = 58


def trace_steps(raw: Sequence[RawStep], names: Sequence[str]) -> tuple[TraceStep, ...]:
    """TraceSteps of one execution (only steps that changed or observed something are kept)."""
    out: list[TraceStep] = []
    for cpu, loc, fn, effect in raw:
        thread = names[cpu] if 0 <= cpu < len(names) else "harness"
        out.append(TraceStep(cpu=cpu, thread=thread, file=loc[0], line=loc[1], source=loc[2],
                             effect=effect, function=fn))
    return tuple(out)


def symbols_of(steps: Sequence[TraceStep], extra: Sequence[str]) -> tuple[str, ...]:
    """The property's own symbols, the fields and flags the trace shows, then the functions whose
    steps changed or observed something (what a reviewer's comment would name)."""
    seen: dict[str, None] = dict.fromkeys(extra)
    for step in steps:
        text = f"{step.source} {step.effect}"
        for symbol in _SYMBOLS:
            if symbol in text:
                seen.setdefault(symbol, None)
        if "css(" in step.effect:
            seen.setdefault("css", None)
    for step in steps:
        if step.function and not step.function.startswith("__scenario_"):
            seen.setdefault(step.function, None)
    return tuple(seen)


def format_trace(violation: Violation) -> str:
    """The trace as two columns, one per CPU, one row per step, like a commit-message race diagram."""
    steps = violation.trace
    cpus = sorted({s.cpu for s in steps if s.cpu != HARNESS_CPU}) or [0]
    heads = {c: next((s.thread for s in steps if s.cpu == c), "") for c in cpus}
    lines = [f"{violation.property}: {violation.detail}", ""]
    lines.append(" | ".join(f"CPU{i} ({heads[c]})".ljust(_COLUMN) for i, c in enumerate(cpus)).rstrip())
    lines.append("-+-".join("-" * _COLUMN for _ in cpus))
    last_source: dict[int, tuple[str, int]] = {}
    for step in steps:
        if step.cpu == HARNESS_CPU:
            lines.append(f"  after all threads: {step.effect}")
            continue
        cell: list[str] = []
        where = (step.file, step.line)
        if last_source.get(step.cpu) != where:
            cell.extend(textwrap.wrap(f"{step.file.rsplit('/', 1)[-1]}:{step.line}: {step.source}", _COLUMN,
                                      subsequent_indent="    "))
            last_source[step.cpu] = where
        fn = f"{step.function}: " if step.function else ""
        cell.extend(textwrap.wrap(f"  {fn}{step.effect}", _COLUMN, subsequent_indent="    "))
        col = cpus.index(step.cpu)
        for text in cell:
            row = ["".ljust(_COLUMN) for _ in cpus]
            row[col] = text[:_COLUMN].ljust(_COLUMN)
            lines.append(" | ".join(row).rstrip())
    return "\n".join(lines) + "\n"
