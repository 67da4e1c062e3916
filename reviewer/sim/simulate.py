"""Verdicts for one revision: every relevant scenario x configuration, on the revision and its base.

A scenario runs for a revision when the revision touches a function the scenario exercises.
For each configuration the explorer visits the interleavings; every distinct breach keeps its
shortest counterexample. The base (pre-images) runs too, so each violation is classified
pre-existing, introduced or fixed; base results are cached by content in a :class:`SimCache`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .._config import SimulatorConfig
from ..model import FunctionImage, SimConfig, SimVerdict, Status, TouchedFunction, Violation
from ._errors import NotAnalysed
from .explore import Budget, Exploration, System, explore
from .harness import GENERIC, generic_scenarios
from .interp import Program, SourceLookup
from .model.state import ModelOptions
from .properties import Breach, judge
from .scenario import HARNESS_EXERCISES, Scenario, load_scenarios
from .system import RawStep, RunPlan, SimSystem
from .trace import symbols_of, trace_steps

__all__ = ["CellResult", "SimCache", "SimulationResult", "classify", "configurations", "identity",
           "model_options", "run_cell", "simulate_revision"]


@dataclass(frozen=True, slots=True)
class SimulationResult:
    revision: tuple[SimVerdict, ...]
    """Statuses introduced / pre-existing, plus FIXED violations (in the base, gone here)."""
    base: tuple[SimVerdict, ...]
    """The base's own verdicts (violations with status PRE_EXISTING)."""


@dataclass(frozen=True, slots=True)
class CellResult:
    """One scenario x configuration explored: the verdict plus what the benchmark reports."""

    verdict: SimVerdict
    exploration: Exploration | None
    final_states: int


@dataclass(slots=True)
class SimCache:
    """Results keyed by content (sources, scenario file, configuration, kconfig, model switches).

    Pass one instance to every :func:`simulate_revision` call of a review, so revisions that
    share a base simulate it once.
    """

    cells: dict[tuple[object, ...], CellResult] = field(default_factory=dict)
    hits: int = 0


def configurations(orders: Sequence[int]) -> tuple[SimConfig, ...]:
    """order x compound x kmem; an order-0 block is never compound (§3)."""
    return tuple(SimConfig(order=o, compound=c, kmem=k) for o in orders for c in (False, True)
                 for k in (False, True) if not (o == 0 and c))


def model_options(kconfig: Mapping[str, bool | int | str], *, split_hoists_head_load: bool = False,
                  tail_loop_per_page: bool = False) -> ModelOptions:
    def on(name: str, default: bool) -> bool:
        v = kconfig.get(name, default)
        return v not in ("", "n") if isinstance(v, str) else bool(v)

    return ModelOptions(debug_vm=on("CONFIG_DEBUG_VM", False), memcg=on("CONFIG_MEMCG", True),
                        memcg_kmem=on("CONFIG_MEMCG_KMEM", True),
                        split_hoists_head_load=split_hoists_head_load,
                        tail_loop_per_page=tail_loop_per_page)


def _images_digest(images: Mapping[str, FunctionImage]) -> str:
    h = hashlib.sha256()
    for name in sorted(images):
        im = images[name]
        h.update(f"{name}\0{im.path}\0{im.start_line}\0{im.complete}\0{im.source}\0".encode())
    return h.hexdigest()


def run_cell(program: Program, scenario: Scenario, config: SimConfig, options: ModelOptions,
             budget: Budget, *, revision_id: str, touched: frozenset[str], reduction: bool = True) -> CellResult:
    """Explore one scenario x configuration and turn the breaches into a verdict."""
    try:
        setup = program.compile_image(scenario.setup.image, scenario.setup.image.name) if scenario.setup else None
        threads = tuple((t.name, program.compile_image(t.image, t.image.name)) for t in scenario.threads)
        charge = program.function("__memcg_kmem_charge_page")
    except NotAnalysed as exc:
        return _not_analysed(revision_id, scenario, config, exc)
    plan = RunPlan(config=config, options=options, setup=setup, threads=threads, charge=charge,
                   judge_leaks=scenario.judge_leaks, dispatch=program.function, layout=program.struct_layout)
    try:
        initial = plan.initial_state()
    except NotAnalysed as exc:
        return _not_analysed(revision_id, scenario, config, exc)
    shortest: dict[tuple[str, str], _Found] = {}
    finals: set[object] = set()
    called: set[str] = set()

    def factory() -> System:
        return SimSystem(plan, initial)

    def on_execution(system: System, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, SimSystem)
        breaches = judge(system)
        finals.add(system.state.summary())
        called.update(system.called)
        for b in breaches:
            key = (b.property, b.detail)
            length = len(system.trace)
            if key not in shortest or length < shortest[key][0]:
                shortest[key] = (length, b, list(system.trace), system.names, system.functions(),
                                system.functions_by_cpu())

    try:
        # The model's threads never wait on one another (no lock is modelled as blocking), so the
        # explorer may skip the replays that check a reversed race can run.
        exploration = explore(factory, on_execution, budget, reduction=reduction, blocking=False)
    except NotAnalysed as exc:
        return _not_analysed(revision_id, scenario, config, exc)
    violations = [_violation(b, raw, names, fns, by_cpu)
                  for _, b, raw, names, fns, by_cpu in sorted(shortest.values(), key=_order)]
    if not exploration.complete and exploration.stopped_by != "steps":
        violations.append(Violation("budget-exceeded", Status.INTRODUCED, (),
                                    f"search stopped by the {exploration.stopped_by} budget after "
                                    f"{exploration.executions} executions"))
    exercised = tuple(sorted(called & touched))
    reason = "; ".join([*([scenario.note] if scenario.note else []), *program.repairs])
    verdict = SimVerdict(revision_id=revision_id, scenario=scenario.name, config=config,
                         outcome="violation" if violations else "clean", executions=exploration.executions,
                         violations=tuple(violations), functions=exercised, reason=reason)
    return CellResult(verdict, exploration, len(finals))


def _not_analysed(revision_id: str, scenario: Scenario, config: SimConfig, exc: Exception) -> CellResult:
    reason = f"{GENERIC}: {exc}" if scenario.note.startswith(GENERIC) else str(exc)
    return CellResult(SimVerdict(revision_id, scenario.name, config, "not-analysed", 0, reason=reason), None, 0)


_Found = tuple[int, Breach, list[RawStep], tuple[str, ...], tuple[str, ...], tuple[tuple[int, tuple[str, ...]], ...]]
"""(trace length, breach, trace, thread names, functions entered, functions entered per thread) of a
breach's shortest execution."""


def _order(item: _Found) -> tuple[str, int, str]:
    return (item[1].property, item[0], item[1].detail)


def _violation(b: Breach, raw: list[RawStep], names: Sequence[str], functions: tuple[str, ...],
               by_cpu: tuple[tuple[int, tuple[str, ...]], ...] = ()) -> Violation:
    steps = trace_steps(raw, names)
    return Violation(property=b.property, status=Status.INTRODUCED, pages=b.pages, detail=b.detail,
                     trace=steps, functions=functions, symbols=symbols_of(steps, b.symbols), cpu_functions=by_cpu)


def simulate_revision(revision_id: str, functions: Sequence[TouchedFunction], *, base_id: str,
                      post_lookup: SourceLookup | None, pre_lookup: SourceLookup | None,
                      config: SimulatorConfig, kconfig: Mapping[str, bool | int | str],
                      scenario_dirs: Sequence[Path] = (), cache: SimCache | None = None,
                      split_hoists_head_load: bool = False, tail_loop_per_page: bool = False) -> SimulationResult:
    """Simulate a revision and its base on every scenario that exercises a function it touches.

    ``split_hoists_head_load`` and ``tail_loop_per_page`` are the model switches of
    :class:`~reviewer.sim.model.state.ModelOptions` (places where the spec is unsure).
    """
    if not config.enabled:
        return SimulationResult((), ())
    cache = cache if cache is not None else SimCache()
    scenarios = load_scenarios(tuple(config.scenario_dirs) + tuple(scenario_dirs))
    touched = frozenset(f.name for f in functions)
    post = {f.name: f.post for f in functions if f.post is not None}
    pre = {f.name: f.pre for f in functions if f.pre is not None}
    options = model_options(kconfig, split_hoists_head_load=split_hoists_head_load,
                            tail_loop_per_page=tail_loop_per_page)
    budget = Budget(config.max_executions, config.max_steps, config.max_seconds)
    post_program = Program(post, kconfig=kconfig, lookup=post_lookup, debug_vm=options.debug_vm,
                           max_iterations=config.max_steps)
    pre_program = Program(pre, kconfig=kconfig, lookup=pre_lookup, debug_vm=options.debug_vm,
                          max_iterations=config.max_steps)
    kkey = tuple(sorted((k, str(v)) for k, v in kconfig.items()))
    revision: list[SimVerdict] = []
    base: list[SimVerdict] = []
    relevant = [s for s in scenarios if touched & (set(s.exercises) | HARNESS_EXERCISES)]
    exercised = set(HARNESS_EXERCISES).union(*(s.exercises for s in scenarios))
    for plan in (generic_scenarios(fn.post) for fn in functions if fn.post is not None and fn.name not in exercised):
        if plan is not None and plan.problem:  # the generic harness cannot call it: say why, per cell
            for cfg in configurations(config.orders):
                v = SimVerdict(revision_id, f"{GENERIC}: {plan.function}", cfg, "not-analysed", 0, reason=plan.problem)
                revision.append(v)
                base.append(replace(v, revision_id=base_id))
        elif plan is not None:
            relevant.extend(plan.scenarios)
    for scenario in relevant:
        for cfg in configurations(config.orders):
            if cfg.compound not in scenario.compound or cfg.kmem not in scenario.kmem:
                continue
            key = (base_id, _images_digest(pre), scenario.digest, cfg, kkey, options, budget)
            cell = cache.cells.get(key)
            if cell is None:
                cell = run_cell(pre_program, scenario, cfg, options, budget, revision_id=base_id, touched=touched)
                cache.cells[key] = cell
            else:
                cache.hits += 1
            base_verdict = _as_status(cell.verdict, Status.PRE_EXISTING)
            mine = run_cell(post_program, scenario, cfg, options, budget, revision_id=revision_id,
                            touched=touched).verdict
            base.append(base_verdict)
            revision.append(classify(mine, base_verdict))
    for lookup in (post_lookup, pre_lookup):
        flush = getattr(lookup, "flush", None)
        if flush is not None:
            flush()
    return SimulationResult(tuple(revision), tuple(base))


def _as_status(verdict: SimVerdict, status: Status) -> SimVerdict:
    return replace(verdict, violations=tuple(replace(v, status=status) for v in verdict.violations))


def identity(v: Violation) -> tuple[str, str]:
    """What makes two violations "the same" across base and revision: the property, plus the
    bad-page reason or the stale read's field (so a new kind of bad page is not pre-existing)."""
    if v.property == "bad-page":
        parts = v.detail.split('"')
        return v.property, parts[1] if len(parts) > 2 else v.detail.split(":")[0]
    if v.property == "stale-read":
        return v.property, v.detail.split(" of page ")[0]
    return v.property, ""


def classify(mine: SimVerdict, base: SimVerdict) -> SimVerdict:
    """Pre-existing: the same property (and kind) in the same cell on the base; fixed: only there."""
    if mine.outcome == "not-analysed":
        return mine
    base_ids = {identity(v) for v in base.violations} if base.outcome != "not-analysed" else set()
    mine_ids = {identity(v) for v in mine.violations}
    out = [replace(v, status=Status.PRE_EXISTING if identity(v) in base_ids else Status.INTRODUCED)
           for v in mine.violations]
    fixed_seen: set[tuple[str, str]] = set()
    for v in base.violations:
        key = identity(v)
        if key not in mine_ids and key not in fixed_seen:
            fixed_seen.add(key)
            out.append(replace(v, status=Status.FIXED))
    live = any(v.status is not Status.FIXED for v in out)
    reason = mine.reason
    if base.outcome == "not-analysed":
        # Nothing to compare with: each violation counts as introduced (the cautious side), and
        # the verdict says why, so a reader does not take "introduced" as proven.
        why = f"base not analysed ({base.reason}): every violation counts as introduced"
        reason = f"{reason}; {why}" if reason else why
    return replace(mine, violations=tuple(out), outcome="violation" if live else "clean", reason=reason)
