"""Model against the real code: every scenario x configuration run with a model function, then with
the kernel's own definition of it from the tree (test and benchmark helper, not product code).

Model functions call one another in Python, so a real definition only runs where interpreted
code calls it. Both sides therefore run the scenarios' entry points (``__free_pages``,
``put_page``, ``split_page``) from the tree; the side under test also runs the function itself
from the tree. An outcome is the set of distinct breach sets over all explored executions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reviewer.model import SimConfig
from reviewer.sim.explore import System, explore
from reviewer.sim.interp import Program
from reviewer.sim.model import PRIMITIVES
from reviewer.sim.properties import judge
from reviewer.sim.resolve import TreeSource
from reviewer.sim.scenario import Scenario, load_scenarios
from reviewer.sim.simulate import configurations, model_options
from reviewer.sim.system import RunPlan, SimSystem

__all__ = ["ENTRY", "Cell", "compare", "model_functions"]

ENTRY = frozenset({"__free_pages", "put_page", "split_page"})
"""Run from the tree on both sides, so the function under test is reached from interpreted code."""
Outcome = frozenset[frozenset[tuple[str, str]]] | str
"""Distinct breach sets, or the reason the side could not be analysed. A stale read is named by
its page only: the model and the real code word the read differently (``PageHead`` against
``test_bit(PG_head)``) and cite different lines (the scenario's call against the tree's body)."""


@dataclass(frozen=True, slots=True)
class Cell:
    function: str
    scenario: str
    config: SimConfig
    model: Outcome
    real: Outcome
    reached: bool
    """The real definition ran (a model caller calls the model's own in Python, never the tree's)."""

    @property
    def agrees(self) -> bool:
        return self.model == self.real


def model_functions(tree: TreeSource) -> list[str]:
    """The model's functions that the tree also defines (functions or function-like macros)."""
    return sorted(n for n in PRIMITIVES if tree.lookup(n) is not None or
                  (tree.macro(n) is not None and tree.macro(n).macro.params is not None))  # type: ignore[union-attr]


def _breach(prop: str, detail: str, pages: tuple[int, ...]) -> tuple[str, str]:
    if prop == "stale-read":
        return prop, f"page {pages[0]}" if pages else ""
    return prop, detail


def _outcome(tree: TreeSource, prefer: frozenset[str], scenario: Scenario, cfg: SimConfig,
             kconfig: Mapping[str, bool | int | str], called: set[str] | None = None) -> Outcome:
    from reviewer.sim._errors import NotAnalysed

    options = model_options(kconfig)
    program = Program({}, kconfig=kconfig, lookup=tree, debug_vm=options.debug_vm, prefer_tree=prefer)
    try:
        setup = program.compile_image(scenario.setup.image, scenario.setup.image.name) if scenario.setup else None
        threads = tuple((t.name, program.compile_image(t.image, t.image.name)) for t in scenario.threads)
        plan = RunPlan(cfg, options, setup, threads, charge=program.function("__memcg_kmem_charge_page"),
                       dispatch=program.function, layout=program.struct_layout)
        initial = plan.initial_state()
        seen: set[frozenset[tuple[str, str]]] = set()

        def on_execution(system: System, schedule: tuple[int, ...]) -> None:
            assert isinstance(system, SimSystem)
            seen.add(frozenset(_breach(b.property, b.detail, b.pages) for b in judge(system)))
            if called is not None:
                called.update(system.called)

        result = explore(lambda: SimSystem(plan, initial), on_execution, blocking=False)
    except NotAnalysed as exc:
        return f"not analysed: {exc}"
    if not result.complete:
        return f"budget: {result.stopped_by}"
    return frozenset(seen)


def compare(repo: Path, functions: Iterable[str], *, orders: tuple[int, ...],
            kconfig: Mapping[str, bool | int | str]) -> list[Cell]:
    tree = TreeSource(repo, "HEAD", kconfig=kconfig, roots=["mm/page_alloc.c", "mm/swap.c", "mm/memcontrol.c"])
    cells: list[Cell] = []
    scenarios = load_scenarios()
    baseline: dict[tuple[str, SimConfig], Outcome] = {}
    for fn in functions:
        for scenario in scenarios:
            for cfg in configurations(orders):
                if cfg.compound not in scenario.compound or cfg.kmem not in scenario.kmem:
                    continue
                key = (scenario.name, cfg)
                if key not in baseline:
                    baseline[key] = _outcome(tree, ENTRY, scenario, cfg, kconfig)
                called: set[str] = set()
                real = _outcome(tree, ENTRY | {fn}, scenario, cfg, kconfig, called)
                cells.append(Cell(fn, scenario.name, cfg, baseline[key], real, fn in called))
    return cells


def entry_cells(repo: Path, *, orders: tuple[int, ...], kconfig: Mapping[str, bool | int | str]) -> list[Cell]:
    """The entry points themselves: the whole model against ENTRY from the tree."""
    tree = TreeSource(repo, "HEAD", kconfig=kconfig, roots=["mm/page_alloc.c", "mm/swap.c", "mm/memcontrol.c"])
    out = []
    for scenario in load_scenarios():
        for cfg in configurations(orders):
            if cfg.compound not in scenario.compound or cfg.kmem not in scenario.kmem:
                continue
            called: set[str] = set()
            real = _outcome(tree, ENTRY, scenario, cfg, kconfig, called)
            out.append(Cell("+".join(sorted(ENTRY)), scenario.name, cfg,
                            _outcome(tree, frozenset(), scenario, cfg, kconfig), real, bool(called & ENTRY)))
    return out
