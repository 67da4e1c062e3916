"""Simulator benchmark: the seed thread's revisions x scenarios x configurations.

Reports (1) the total time for every seed revision (base, v1, v2, sketch) x the built-in
scenarios x 14 configurations through ``simulate_revision`` with a shared cache, (2) executions per second, and
(3) per cell: executions explored with partial-order reduction, by brute force (when the number
of interleavings is small enough to enumerate) and the minimum: distinct final states and
distinct Mazurkiewicz traces (counted from the brute-force run's step footprints).

Run: .venv/bin/python benchmarks/sim_bench.py [--brute-limit N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Hashable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from sim_sources import seed_images  # noqa: E402

from reviewer._config import SimulatorConfig  # noqa: E402
from reviewer.model import FunctionImage, SimConfig, TouchedFunction  # noqa: E402
from reviewer.sim import SimCache, simulate_revision  # noqa: E402
from reviewer.sim.explore import Budget, System, count_interleavings, explore  # noqa: E402
from reviewer.sim.interp import Program  # noqa: E402
from reviewer.sim.scenario import Scenario, load_scenarios  # noqa: E402
from reviewer.sim.simulate import configurations, model_options  # noqa: E402
from reviewer.sim.system import RunPlan, SimSystem  # noqa: E402

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_MEMCG_KMEM": True}
ORDERS = (0, 1, 2, 3)


def whole_seed(repeat: int, *, per_page: bool = False) -> tuple[float, float, int]:
    """Best (wall, cpu) seconds and the executions of simulating v1, v2 and the sketch on their base."""
    images = seed_images()
    best_wall = best_cpu = float("inf")
    executions = 0
    for _ in range(repeat):
        cache = SimCache()
        wall, cpu = time.perf_counter(), time.process_time()
        executions = 0
        for name in ("v1", "v2", "sketch"):
            fn = TouchedFunction("__free_pages", "mm/page_alloc.c", images.base, getattr(images, name))
            result = simulate_revision(name, [fn], base_id="base", post_lookup=None, pre_lookup=None,
                                       config=SimulatorConfig(orders=ORDERS), kconfig=KCONFIG, cache=cache,
                                       tail_loop_per_page=per_page)
            executions += sum(v.executions for v in result.revision)
        executions += sum(c.verdict.executions for c in cache.cells.values())
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, executions


def _plan(image: FunctionImage, scenario: Scenario, cfg: SimConfig) -> RunPlan:
    program = Program({"__free_pages": image}, kconfig=KCONFIG, lookup=None, debug_vm=False)
    setup = program.compile_image(scenario.setup.image, scenario.setup.image.name) if scenario.setup else None
    threads = tuple((t.name, program.compile_image(t.image, t.image.name)) for t in scenario.threads)
    return RunPlan(cfg, model_options(KCONFIG), setup, threads)


def _mazurkiewicz(system: SimSystem) -> Hashable:
    """The trace's dependence relation: ordered pairs of conflicting steps of different threads."""
    index: list[tuple[int, int]] = []
    counts: dict[int, int] = {}
    for tid, _ in system.footprints:
        counts[tid] = counts.get(tid, 0) + 1
        index.append((tid, counts[tid]))
    edges = set()
    fps = system.footprints
    for i, (ti, ai) in enumerate(fps):
        for j in range(i + 1, len(fps)):
            tj, aj = fps[j]
            if ti == tj:
                continue
            if any(a.location == b.location and (a.write or b.write) for a in ai for b in aj):
                edges.add((index[i], index[j]))
    return frozenset(edges)


def cell(image: FunctionImage, scenario: Scenario, cfg: SimConfig, brute_limit: int) -> dict[str, object]:
    plan = _plan(image, scenario, cfg)
    initial = plan.initial_state()
    finals: set[Hashable] = set()
    longest: list[int] = [0] * len(plan.threads)

    def on_dpor(system: System, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, SimSystem)
        system.drain()
        finals.add(system.state.summary())
        for t in range(len(plan.threads)):
            longest[t] = max(longest[t], schedule.count(t))

    wall = time.perf_counter()
    dpor = explore(lambda: SimSystem(plan, initial), on_dpor, Budget(max_seconds=60))
    dpor_s = time.perf_counter() - wall
    bound = count_interleavings(longest)
    row: dict[str, object] = {"dpor": dpor.executions, "dpor_s": dpor_s, "finals": len(finals),
                              "interleavings": bound, "brute": None, "traces": None, "brute_s": None}
    if bound <= brute_limit:
        traces: set[Hashable] = set()

        def on_brute(system: System, schedule: tuple[int, ...]) -> None:
            assert isinstance(system, SimSystem)
            traces.add(_mazurkiewicz(system))

        wall = time.perf_counter()
        brute = explore(lambda: SimSystem(plan, initial), on_brute, Budget(max_seconds=120), reduction=False)
        row.update(brute=brute.executions, traces=len(traces), brute_s=time.perf_counter() - wall)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--brute-limit", type=int, default=20_000,
                        help="enumerate by brute force only cells with at most this many interleavings")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    wall, cpu, execs = whole_seed(args.repeat)
    print(f"whole seed (base + v1 + v2 + sketch) x {len(load_scenarios())} scenarios x "
          f"{len(configurations(ORDERS))} configurations (fewer where a scenario excludes some):")
    print(f"  {wall:.3f} s wall, {cpu:.3f} s cpu (best of {args.repeat}), {execs} executions, "
          f"{execs / cpu:,.0f} executions/cpu-second")
    wall, cpu, execs = whole_seed(1, per_page=True)
    print(f"  with the tail_loop_per_page switch: {wall:.3f} s wall, {cpu:.3f} s cpu, {execs} executions")
    print()
    print("| revision | scenario | configuration | DPOR execs | final states | Mazurkiewicz traces "
          "| brute-force execs | interleavings bound | DPOR s | brute s |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    images = seed_images()
    totals = {"dpor": 0, "finals": 0}
    for name in ("base", "v1", "v2", "sketch"):
        for scenario in load_scenarios():
            for cfg in configurations(ORDERS):
                if cfg.compound not in scenario.compound or cfg.kmem not in scenario.kmem:
                    continue
                row = cell(getattr(images, name), scenario, cfg, args.brute_limit)
                totals["dpor"] += int(str(row["dpor"]))
                totals["finals"] += int(str(row["finals"]))

                def show(key: str, fmt: str = "{}", row: dict[str, object] = row) -> str:
                    v = row[key]
                    return "-" if v is None else fmt.format(v)

                print(f"| {name} | {scenario.name} | {cfg.key} | {row['dpor']} | {row['finals']} | "
                      f"{show('traces')} | {show('brute')} | {row['interleavings']:,} | "
                      f"{show('dpor_s', '{:.3f}')} | {show('brute_s', '{:.2f}')} |")
    print()
    print(f"total DPOR executions {totals['dpor']}, total distinct final states {totals['finals']}")


if __name__ == "__main__":
    main()
