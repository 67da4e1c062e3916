"""The model's step footprints are honest: partial-order reduction reaches exactly the final states
and property breaches that brute-force enumeration of every interleaving reaches.

A footprint that forgot a shared access would let the reduction skip an ordering with a
different outcome; these cells are small enough to enumerate.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

import pytest
from sim_sources import seed_images

from reviewer.model import FunctionImage, SimConfig
from reviewer.sim.explore import Budget, System, explore
from reviewer.sim.interp import Program
from reviewer.sim.properties import judge
from reviewer.sim.scenario import Scenario, load_scenarios
from reviewer.sim.simulate import model_options
from reviewer.sim.system import RunPlan, SimSystem

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_MEMCG_KMEM": True}

RACE = """name = "uncharge-vs-split"
exercises = ["split_page_memcg"]

[[thread]]
name = "splitter"
code = "split_page_memcg(page, 1 << order);"

[[thread]]
name = "uncharger"
code = "mem_cgroup_uncharge(page);"
"""


def reached(images: dict[str, FunctionImage], scenario: Scenario, cfg: SimConfig,
            *, reduction: bool) -> tuple[set[Hashable], int]:
    program = Program(images, kconfig=KCONFIG, lookup=None, debug_vm=False)
    setup = program.compile_image(scenario.setup.image, scenario.setup.image.name) if scenario.setup else None
    threads = tuple((t.name, program.compile_image(t.image, t.image.name)) for t in scenario.threads)
    plan = RunPlan(cfg, model_options(KCONFIG), setup, threads)
    initial = plan.initial_state()
    seen: set[Hashable] = set()

    def on_execution(system: System, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, SimSystem)
        breaches = frozenset((b.property, b.detail) for b in judge(system))
        seen.add((breaches, system.state.summary()))

    result = explore(lambda: SimSystem(plan, initial), on_execution, Budget(max_seconds=60), reduction=reduction)
    assert result.complete
    return seen, result.executions


CELLS = [
    ("base", "speculative-lookup", SimConfig(0, False, True)),
    ("v1", "speculative-lookup", SimConfig(1, True, True)),
    ("v1", "speculative-lookup", SimConfig(1, False, False)),
    ("v2", "shared-holders", SimConfig(1, True, True)),
    ("sketch", "shared-holders", SimConfig(1, False, False)),
]


@pytest.mark.parametrize(("name", "scenario", "cfg"), CELLS, ids=[f"{n}-{s}-{c.key}" for n, s, c in CELLS])
def test_reduction_reaches_what_brute_force_reaches(name: str, scenario: str, cfg: SimConfig) -> None:
    images = {"__free_pages": getattr(seed_images(), name)}
    sc = next(s for s in load_scenarios() if s.name == scenario)
    dpor, dpor_runs = reached(images, sc, cfg, reduction=True)
    brute, brute_runs = reached(images, sc, cfg, reduction=False)
    assert dpor == brute
    assert dpor_runs <= brute_runs


def test_memcg_race_reduction_matches_brute_force(tmp_path: Path) -> None:
    """split_page_memcg racing mem_cgroup_uncharge of the head: every outcome of the race shows up."""
    (tmp_path / "race.toml").write_text(RACE)
    sc = next(s for s in load_scenarios([tmp_path]) if s.name == "uncharge-vs-split")
    cfg = SimConfig(1, False, True)
    dpor, dpor_runs = reached({}, sc, cfg, reduction=True)
    brute, brute_runs = reached({}, sc, cfg, reduction=False)
    assert dpor == brute and len(dpor) > 1
    assert dpor_runs < brute_runs
