"""Which names are too common to identify a verdict, and which races a comment describes.

Two rules that :mod:`.linking` applies on top of its vocabulary:

* A name that nearly every violation of a revision involves (``free_the_page``,
  ``put_page_testzero`` in a patch to ``__free_pages``) says nothing about *which* verdict a
  comment means: every trace passes through it. :func:`common_names` lists them so that a
  comment naming only those is not linked by name.
* A comment that names two functions which, in a violation's trace, run on *different* CPUs
  ("the speculative racer may call mem_cgroup_uncharge() ... and the new call to
  split_page_memcg() do nothing") describes that race, whatever ordering of it the reviewer
  had in mind: :func:`cross_cpu_pair` finds such a pair, so that every property the race
  produces in that scenario and configuration is linked (one ordering leaks the charge, the
  other reports a bad page). Functions that both CPUs enter (``put_page_testzero``) cannot
  tell the two sides apart and do not count, nor do fields and flags (both sides of a race
  touch the same ``memcg_data``); at least one of the pair must not be common.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from ..model import Violation

__all__ = ["COMMON_SHARE", "COMMON_MIN_VIOLATIONS", "common_names", "cross_cpu_pair", "names_in", "names_by_cpu"]

COMMON_SHARE = 0.9
"""A name involved in at least this share of a revision's violations is common ("nearly every trace")."""
COMMON_MIN_VIOLATIONS = 5
"""Below this many violations a share says nothing: no name is common."""
_HARNESS_CPU = -1


def names_in(text: str, names: Collection[str]) -> list[str]:
    """The ``names`` that ``text`` mentions as whole identifiers ("compound" not in "non-compound")."""
    found = []
    for name in sorted(n for n in names if n and n in text):  # the substring test is the cheap one
        if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            found.append(name)
    return found


def _involved(violation: Violation) -> set[str]:
    out = set(violation.functions) | set(violation.symbols)
    for _, functions in violation.cpu_functions:
        out.update(functions)
    out.update(step.function for step in violation.trace if step.function)
    return out


def common_names(violations: Sequence[Violation]) -> frozenset[str]:
    """The names (functions, fields, flags) that nearly every one of ``violations`` involves."""
    if len(violations) < COMMON_MIN_VIOLATIONS:
        return frozenset()
    count: dict[str, int] = {}
    for violation in violations:
        for name in _involved(violation):
            count[name] = count.get(name, 0) + 1
    return frozenset(n for n, k in count.items() if k >= COMMON_SHARE * len(violations))


def names_by_cpu(violation: Violation) -> dict[int, set[str]]:
    """Per CPU of the trace (the harness's drain excluded), the functions it entered: callers
    included (``cpu_functions``), and the function of each of its steps. Fields and flags are
    left out: both sides of a race touch the same fields, the code paths are what differ."""
    by_cpu: dict[int, set[str]] = {}
    for cpu, functions in violation.cpu_functions:
        if cpu != _HARNESS_CPU:
            by_cpu.setdefault(cpu, set()).update(functions)
    for step in violation.trace:
        if step.cpu != _HARNESS_CPU and step.function and not step.function.startswith("__scenario_"):
            by_cpu.setdefault(step.cpu, set()).add(step.function)
    return by_cpu


def cross_cpu_pair(
    text: str, violation: Violation, common: Collection[str] = ()
) -> tuple[tuple[str, int, str], tuple[str, int, str]] | None:
    """Two functions ``text`` mentions that ``violation``'s trace runs on two different CPUs,
    each on one CPU only, at least one of them not ``common``: ((name, cpu, thread), ...)."""
    by_cpu = names_by_cpu(violation)
    if len(by_cpu) < 2:
        return None
    threads = {step.cpu: step.thread for step in violation.trace}
    said = names_in(text, set().union(*by_cpu.values()))
    sides: dict[int, list[str]] = {}
    for name in said:
        cpus = [cpu for cpu, names in by_cpu.items() if name in names]
        if len(cpus) == 1:
            sides.setdefault(cpus[0], []).append(name)
    for names in sides.values():
        names.sort(key=lambda n: (n in common, n))  # the rarest names make the best evidence
    cpus = sorted(sides)
    for i, a in enumerate(cpus):
        for b in cpus[i + 1:]:
            for x in sides[a]:
                for y in sides[b]:
                    if x not in common or y not in common:
                        return (x, a, threads.get(a, "")), (y, b, threads.get(b, ""))
    return None
