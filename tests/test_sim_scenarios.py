"""Scenario files, the simulate_revision entry point, classification, caching and budgets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sim_sources import seed_images

from reviewer._config import SimulatorConfig
from reviewer.model import FunctionImage, SimConfig, SimVerdict, Status, TouchedFunction, Violation
from reviewer.sim import SimCache, load_scenarios, simulate_revision
from reviewer.sim._errors import ScenarioError
from reviewer.sim.simulate import classify, configurations

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_MEMCG_KMEM": True}
REPO = Path(__file__).resolve().parents[1]


def touched(post: FunctionImage, pre: FunctionImage | None = None, name: str = "__free_pages") -> TouchedFunction:
    return TouchedFunction(name, post.path, pre if pre is not None else seed_images().base, post)


def test_builtin_scenarios_load_with_file_lines() -> None:
    scenarios = {s.name: s for s in load_scenarios()}
    assert {"speculative-lookup", "shared-holders", "split-then-free"} <= set(scenarios)
    assert scenarios["split-then-free"].compound == (False,)
    spec = scenarios["speculative-lookup"]
    assert [t.name for t in spec.threads] == ["owner", "holder"]
    assert "__free_pages" in spec.exercises and "put_page" in spec.exercises
    text = (REPO / "reviewer/sim/scenarios/speculative-lookup.toml").read_text().split("\n")
    owner = spec.threads[0].image
    # row 2 of the wrapper is the snippet's first line: it must be that line of the file
    assert text[owner.start_line + 2 - 1].strip() == "__free_pages(page, order);"
    assert owner.path == "scenarios/speculative-lookup.toml"


def test_scenarios_from_a_directory_and_errors(tmp_path: Path) -> None:
    (tmp_path / "one.toml").write_text(
        'name = "one-thread"\nexercises = ["__free_pages"]\n[[thread]]\nname = "a"\ncode = "__free_pages(page, order);"\n')
    names = {s.name for s in load_scenarios([tmp_path])}
    assert "one-thread" in names and "speculative-lookup" in names
    (tmp_path / "bad.toml").write_text('name = "bad"\nexercises = []\n')
    with pytest.raises(ScenarioError, match="bad.toml: exercises"):
        load_scenarios([tmp_path])
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenarios([tmp_path / "missing"])


def test_configurations_are_the_14_cells() -> None:
    cells = configurations((0, 1, 2, 3))
    assert len(cells) == 14 and SimConfig(0, True, False) not in cells


def test_revision_touching_nothing_exercised_runs_no_scenario() -> None:
    other = FunctionImage("vmalloc_thing", "mm/vmalloc.c", 1, 3, "void vmalloc_thing(void)\n{\n}\n")
    result = simulate_revision("r", [touched(other, other, "vmalloc_thing")], base_id="b", post_lookup=None,
                               pre_lookup=None, config=SimulatorConfig(orders=(1,)), kconfig=KCONFIG)
    assert result.revision == () and result.base == ()


def test_not_analysed_revision_names_what_and_where() -> None:
    v2 = seed_images().v2
    broken = replace(v2, source=v2.source.replace("split_page_memcg(page, 1 << order);",
                                                  "split_page_memcg_new(page, 1 << order);"))
    result = simulate_revision("r", [touched(broken)], base_id="b", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=(2,)), kconfig=KCONFIG)
    cell = next(v for v in result.revision if v.scenario == "speculative-lookup" and not v.config.compound
                and v.config.kmem)
    assert cell.outcome == "not-analysed"
    assert cell.reason.startswith("calls split_page_memcg_new()") and "mm/page_alloc.c:5157" in cell.reason
    # the compound cells never reach that call (`!compound` is false): they are analysed
    comp = next(v for v in result.revision if v.scenario == "speculative-lookup" and v.config.compound
                and v.config.kmem)
    assert comp.outcome != "not-analysed"


def test_callee_source_from_the_tree_lookup() -> None:
    """A callee the model lacks is interpreted from the tree's C source."""
    v1 = seed_images().v1
    renamed = replace(v1, source=v1.source.replace("split_page_memcg(page, 1 << order);",
                                                   "my_split(page, 1 << order);"))

    class Tree:
        def lookup(self, name: str) -> FunctionImage | None:
            if name != "my_split":
                return None
            src = "void my_split(struct page *head, unsigned int nr)\n{\n\tsplit_page_memcg(head, nr);\n}\n"
            return FunctionImage(name, "mm/memcontrol.c", 3300, 3303, src)

    result = simulate_revision("r", [touched(renamed)], base_id="b", post_lookup=Tree(), pre_lookup=None,
                               config=SimulatorConfig(orders=(2,)), kconfig=KCONFIG)
    cell = next(v for v in result.revision if v.scenario == "speculative-lookup" and not v.config.compound
                and v.config.kmem)
    assert cell.outcome == "violation"
    bad = next(x for x in cell.violations if x.property == "bad-page")
    assert "my_split" in bad.functions and "split_page_memcg" in bad.functions


def test_base_is_simulated_once_per_cache() -> None:
    cache = SimCache()
    images = seed_images()
    cfg = SimulatorConfig(orders=(1,))
    for post in (images.v1, images.v2):
        simulate_revision(post.source[:8], [touched(post)], base_id="base", post_lookup=None, pre_lookup=None,
                          config=cfg, kconfig=KCONFIG, cache=cache)
    cells = len(cache.cells)
    assert cells == 4 + 4 + 2 and cache.hits == cells  # split-then-free: non-compound only


def test_kconfig_without_memcg_has_no_charge_properties() -> None:
    images = seed_images()
    kconfig = dict(KCONFIG, CONFIG_MEMCG=False, CONFIG_MEMCG_KMEM=False)
    result = simulate_revision("v1", [touched(images.v1)], base_id="b", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=(2,)), kconfig=kconfig)
    for v in result.revision:
        assert not {x.property for x in v.violations} & {"charge-leak", "css-imbalance", "over-uncharge"}


def test_budget_exceeded_is_a_violation() -> None:
    images = seed_images()
    result = simulate_revision("v1", [touched(images.v1)], base_id="b", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=(2,), max_executions=3), kconfig=KCONFIG)
    cell = next(v for v in result.revision if v.scenario == "shared-holders" and not v.config.compound)
    budget = [x for x in cell.violations if x.property == "budget-exceeded"]
    assert budget and "executions budget" in budget[0].detail


def test_runaway_loop_is_cut_at_the_step_budget() -> None:
    spin = FunctionImage("__free_pages", "mm/page_alloc.c", 1, 5,
                         "void __free_pages(struct page *page, unsigned int order)\n{\n\twhile (1)\n"
                         "\t\tPageHead(page);\n}\n")
    result = simulate_revision("spin", [touched(spin)], base_id="b", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=(0,), max_steps=50, max_executions=5), kconfig=KCONFIG)
    cell = result.revision[0]
    assert "budget-exceeded" in {x.property for x in cell.violations}
    assert all(x.status is not Status.FIXED or x.property != "budget-exceeded" for x in cell.violations)


def test_debug_vm_moves_order0_head_check_to_free_time() -> None:
    """With DEBUG_VM the verdicts are still computed (VM_BUG_ONs live, head checks at free time)."""
    images = seed_images()
    kconfig = dict(KCONFIG, CONFIG_DEBUG_VM=True)
    result = simulate_revision("v2", [touched(images.v2)], base_id="b", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=(2,)), kconfig=kconfig)
    comp = next(v for v in result.revision if v.scenario == "speculative-lookup" and v.config.compound
                and v.config.kmem)
    assert comp.outcome == "clean"


def test_scenario_file_not_in_utf8_is_a_scenario_error(tmp_path: Path) -> None:
    (tmp_path / "latin1.toml").write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(ScenarioError, match=r"latin1\.toml: .*UTF-8"):
        load_scenarios([tmp_path])


def test_against_an_unanalysed_base_violations_count_as_introduced_and_say_why() -> None:
    cfg = SimConfig(order=2, compound=False, kmem=True)
    leak = Violation("charge-leak", Status.INTRODUCED, (1, 2, 3), "3 page(s) still charged to memcg M")
    mine = SimVerdict("rev", "speculative-lookup", cfg, "violation", 4, (leak,))
    base = SimVerdict("base", "speculative-lookup", cfg, "not-analysed", 0,
                      reason="calls frob_page at mm/x.c:12")
    out = classify(mine, base)
    assert [v.status for v in out.violations] == [Status.INTRODUCED]
    assert "base not analysed (calls frob_page at mm/x.c:12)" in out.reason
    analysed_base = SimVerdict("base", "speculative-lookup", cfg, "clean", 3)
    assert classify(mine, analysed_base).reason == ""
