"""A simulator trace drawn the way kernel reviewers draw races in mail: 72 columns, one narrow
column per CPU, the source statements each CPU runs, state changes as short C comments.

Only one CPU acts on any row, so a column's text may run on over the empty columns to its
right: the columns start where the kernel's own diagrams start them (the second at column 34
of 72), and a statement is broken only where it does not fit at all, between arguments.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection

from ..model import TraceStep, Violation
from ..sim.system import HARNESS_CPU

__all__ = ["race_diagram"]

_SHIFT = 2
"""Columns start this much left of an even split (the last one gets the room it needs)."""


def race_diagram(violation: Violation, *, width: int = 72, own: Collection[str] = ()) -> list[str]:
    """The lines of ``violation``'s trace, none longer than ``width``.

    ``own`` names the functions the revision changes: their effects need no ``callee:``
    prefix (the statement on the line above says where they happen)."""
    steps = violation.trace
    cpus = sorted({s.cpu for s in steps if s.cpu != HARNESS_CPU})
    if not cpus:
        return []
    starts = {cpu: max(0, width * i // len(cpus) - _SHIFT) for i, cpu in enumerate(cpus)}
    column = width // len(cpus) - _SHIFT
    lines = [_head(steps, cpus, starts)]
    last: dict[int, tuple[str, int]] = {}
    for step in steps:
        if step.cpu == HARNESS_CPU:
            continue
        start = starts[step.cpu]
        room = width - start
        cell: list[str] = []
        where = (step.file, step.line)
        if last.get(step.cpu) != where:
            cell += _wrap_code(_statement(step.source), room)
            last[step.cpu] = where
        callee, effect = _effect(step, own)
        comment = f"{callee}: {effect}" if callee else effect
        if comment:
            if len(cell) == 1 and len(cell[0]) + 7 + len(comment) <= column:
                cell[0] += " " + _comment([comment], room)[0]
            elif len(comment) + 8 <= room or not callee:
                cell += ["  " + c for c in _comment(_wrap(comment, room - 8), room - 2)]
            else:  # the callee on a line of its own, then what it did
                cell += ["  " + c for c in _comment([f"{callee}:", *_wrap(effect, room - 8)], room - 2)]
        lines += [" " * start + text for text in cell]
    for step in steps:
        if step.cpu == HARNESS_CPU and step.effect:
            lines += _comment(_wrap(f"afterwards: {step.effect}", width - 6), width)
    return [line.rstrip() for line in lines]


def _head(steps: tuple[TraceStep, ...], cpus: list[int], starts: dict[int, int]) -> str:
    head = ""
    for i, cpu in enumerate(cpus):
        thread = next((s.thread for s in steps if s.cpu == cpu), "")
        head = head.ljust(starts[cpu]) + (f"CPU{i} ({thread})" if thread else f"CPU{i}")
    return head


def _statement(source: str) -> str:
    """The statement without the block opener it ends with (``if (...) {`` -> ``if (...)``)."""
    text = " ".join(source.split())
    return text[:-1].rstrip() if text.endswith("{") and len(text) > 1 else text


def _effect(step: TraceStep, own: Collection[str]) -> tuple[str, str]:
    """(the callee that made the change, or "" when it is the statement's own function; the
    change)."""
    effect = " ".join(step.effect.split())
    fn = step.function
    if not effect or not fn or fn in own or fn.startswith("__scenario_"):
        return "", effect
    return fn, effect


def _wrap(text: str, room: int) -> list[str]:
    return textwrap.wrap(text, max(room, 12), break_on_hyphens=False) or [""]


def _wrap_code(code: str, room: int, indent: str = "    ") -> list[str]:
    """``code`` in lines of at most ``room``: broken at the space with the fewest open
    parentheses (between arguments rather than inside a nested call), the rest indented."""
    lines: list[str] = []
    room = max(room, len(indent) + 8)
    while len(code) > room:
        depth, best, best_depth = 0, -1, 1 << 30
        for i, ch in enumerate(code[: room + 1]):
            depth += (ch in "([") - (ch in ")]")
            if ch == " " and i > len(indent) and depth <= best_depth:
                best, best_depth = i, depth
        if best < 0:  # one token longer than the room: cut it, the width is the rule
            lines.append(code[:room])
            code = indent + code[room:]
            continue
        lines.append(code[:best].rstrip())
        code = indent + code[best + 1 :]
    return [*lines, code]


def _comment(lines: list[str], room: int) -> list[str]:
    """``lines`` as one C comment: ``/* first``, ``   more``, ``   last */``."""
    if len(lines) == 1:
        return [f"/* {lines[0]} */"]
    return [f"/* {lines[0]}", *(f"   {line}" for line in lines[1:-1]), f"   {lines[-1]} */"]
