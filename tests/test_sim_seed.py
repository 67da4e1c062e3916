"""Acceptance: the seed thread's revisions of __free_pages, simulated from their posted C source.

The revisions are cut out of the raw mbox (tests/sim_sources.py); nothing in reviewer/sim knows
them. Order-2 page, kmem-charged, as in kernel-model-5.12.md §8.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest
from sim_sources import seed_images

from reviewer._config import SimulatorConfig
from reviewer.model import FunctionImage, SimConfig, SimVerdict, Status, TouchedFunction
from reviewer.sim import SimCache, format_trace, simulate_revision
from reviewer.sim.explore import System, explore
from reviewer.sim.interp import Program
from reviewer.sim.properties import judge
from reviewer.sim.scenario import Scenario, load_scenarios
from reviewer.sim.simulate import model_options
from reviewer.sim.system import RunPlan, SimSystem

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_MEMCG_KMEM": True}
NONCOMP = SimConfig(2, False, True)
COMP = SimConfig(2, True, True)
SPEC, SHARED = "speculative-lookup", "shared-holders"

# A revision written for this test: cache PageHead and memcg_data before the put, take the css
# references the tail frees will drop (before the put, while the page is surely alive), and give
# each freed sub-block's first page the cached memcg_data.
CACHED = """void __free_pages(struct page *page, unsigned int order)
{
	bool compound = PageHead(page);
	unsigned long memcg_data = page->memcg_data;
	struct mem_cgroup *memcg = (struct mem_cgroup *)(memcg_data & ~3UL);

	if (memcg && !compound)
		css_get_many(memcg, order);
	if (put_page_testzero(page)) {
		if (memcg && !compound)
			css_put_many(memcg, order);
		free_the_page(page, order);
		return;
	}
	if (!compound) {
		while (order-- > 0) {
			struct page *tail = page + (1 << order);

			tail->memcg_data = memcg_data;
			free_the_page(tail, order);
		}
	}
}
"""


def image(source: str, like: FunctionImage | None = None) -> FunctionImage:
    base = like or seed_images().base
    return replace(base, source=source, end_line=base.start_line + source.count("\n") - 1)


def revision(name: str) -> FunctionImage:
    if name == "cached":
        return image(CACHED)
    found: FunctionImage = getattr(seed_images(), name)
    return found


@cache
def _scenarios() -> dict[str, Scenario]:
    return {s.name: s for s in load_scenarios()}


def outcomes(img: FunctionImage, scenario: str, cfg: SimConfig, *, hoisted: bool = False,
             extra: dict[str, FunctionImage] | None = None) -> set[frozenset[tuple[str, str]]]:
    """For every explored execution, the set of (property, detail) it breaks."""
    program = Program({"__free_pages": img, **(extra or {})}, kconfig=KCONFIG, lookup=None, debug_vm=False)
    sc = _scenarios()[scenario]
    setup = program.compile_image(sc.setup.image, sc.setup.image.name) if sc.setup else None
    threads = tuple((t.name, program.compile_image(t.image, t.image.name)) for t in sc.threads)
    plan = RunPlan(cfg, model_options(KCONFIG, split_hoists_head_load=hoisted), setup, threads)
    seen: set[frozenset[tuple[str, str]]] = set()

    def on_execution(system: System, schedule: tuple[int, ...]) -> None:
        assert isinstance(system, SimSystem)
        seen.add(frozenset((b.property, b.detail) for b in judge(system)))

    result = explore(lambda: SimSystem(plan), on_execution)
    assert result.complete
    return seen


@cache
def verdicts(name: str, orders: tuple[int, ...] = (2,)) -> tuple[dict[tuple[str, SimConfig], SimVerdict], dict[tuple[str, SimConfig], SimVerdict]]:
    images = seed_images()
    fn = TouchedFunction("__free_pages", "mm/page_alloc.c", images.base, revision(name))
    result = simulate_revision(name, [fn], base_id="base", post_lookup=None, pre_lookup=None,
                               config=SimulatorConfig(orders=orders), kconfig=KCONFIG, cache=_CACHE)
    return ({(v.scenario, v.config): v for v in result.revision}, {(v.scenario, v.config): v for v in result.base})


_CACHE = SimCache()


def props(v: SimVerdict, status: Status | None = None) -> set[str]:
    return {x.property for x in v.violations if status is None or x.status is status}


def details(v: SimVerdict) -> set[str]:
    return {x.detail for x in v.violations}


def without_stale(execs: set[frozenset[tuple[str, str]]]) -> set[frozenset[tuple[str, str]]]:
    return {frozenset(p for p in ex if p[0] != "stale-read") for ex in execs}


def has(execs: set[frozenset[tuple[str, str]]], *needles: tuple[str, str]) -> bool:
    """Some single execution shows every (property, detail-substring) given."""
    return any(all(any(p == prop and sub in d for p, d in ex) for prop, sub in needles) for ex in execs)


# ------------------------------------------------------------------ base (e320d3012d25 form)


def test_base_speculative_non_compound_leaks_3_pages_of_charge() -> None:
    base = verdicts("v1")[1][(SPEC, NONCOMP)]
    assert "3 page(s) still charged" in " ".join(details(base))
    assert "double-free" not in props(base) and "bad-page" not in props(base)
    assert all(x.status is Status.PRE_EXISTING for x in base.violations)


def test_base_speculative_compound_double_frees_pages_1_to_3() -> None:
    base = verdicts("v1")[1][(SPEC, COMP)]
    df = [x for x in base.violations if x.property == "double-free"]
    assert df and df[0].pages == (1, 2, 3)
    assert "PageHead" in df[0].symbols and "free_the_page" in df[0].functions


def test_base_shared_holders_non_compound_bad_page_and_page0_lost() -> None:
    execs = outcomes(seed_images().base, SHARED, NONCOMP)
    assert has(execs, ("bad-page", '"nonzero mapcount"'), ("page-leak", "page 0 abandoned"))


# ------------------------------------------------------------------ v1


def test_v1_non_compound_bad_page_or_charge_leak() -> None:
    execs = outcomes(seed_images().v1, SPEC, NONCOMP)
    assert has(execs, ("bad-page", '"page still charged to cgroup" on page 3'),
               ("page-leak", "pages 2..3 abandoned"), ("css-imbalance", "reference leaked: 1"))
    assert has(execs, ("charge-leak", "3 page(s)"))
    rev = verdicts("v1")[0][(SPEC, NONCOMP)]
    statuses = {x.property: x.status for x in rev.violations}
    assert statuses["bad-page"] is Status.INTRODUCED and statuses["charge-leak"] is Status.PRE_EXISTING


def test_v1_compound_double_free_from_pagehead_after_put() -> None:
    rev = verdicts("v1")[0][(SPEC, COMP)]
    assert "double-free" in props(rev, Status.PRE_EXISTING)
    stale = [x for x in rev.violations if x.property == "stale-read" and "PageHead" in x.detail]
    assert stale and "5148" in stale[0].detail


def test_v1_partial_split_cells_of_spec_8_2_d() -> None:
    """§8.2 (d): the holder's uncharge lands inside split_page_memcg's copy loop: k tails copied."""
    execs = without_stale(outcomes(seed_images().v1, SPEC, NONCOMP))
    assert frozenset({("css-imbalance", "css reference leaked: 1 get(s) on M never put")}) in execs  # k=2
    assert frozenset({("charge-leak", "2 page(s) still charged to memcg M"),
                      ("css-imbalance", "css reference leaked: 2 get(s) on M never put")}) in execs  # k=1
    assert frozenset({("charge-leak", "3 page(s) still charged to memcg M"),
                      ("css-imbalance", "css reference leaked: 3 get(s) on M never put")}) in execs  # k=0


def test_hoisted_split_load_switch_removes_partial_copies() -> None:
    """§5.6 unsure: if the compiler hoists the head load, the copies are all-or-nothing."""
    execs = without_stale(outcomes(seed_images().v1, SPEC, NONCOMP, hoisted=True))
    assert frozenset({("css-imbalance", "css reference leaked: 1 get(s) on M never put")}) not in execs
    assert has(execs, ("bad-page", "on page 3"))


def test_v1_shared_holders_cell_of_spec_8_5() -> None:
    """§8.5 variants 2/3: P1 only freed, P0, P2, P3 lost, over-uncharge 3, css leak 1, bad page."""
    assert has(outcomes(seed_images().v1, SHARED, NONCOMP),
               ("bad-page", '"page still charged to cgroup" on page 3'), ("page-leak", "pages 0, 2, 3"),
               ("over-uncharge", "3 page(s)"), ("css-imbalance", "reference leaked: 1"))


def test_sketch_shared_holders_cell_of_spec_8_5() -> None:
    """§8.5 variant 4: P2 PageBuddy so bad page, P0 lost, over-uncharge 3, 1 get / 3 puts."""
    assert has(outcomes(seed_images().sketch, SHARED, NONCOMP),
               ("bad-page", '"nonzero mapcount" on page 2'), ("page-leak", "page 0 abandoned"),
               ("over-uncharge", "3 page(s)"), ("css-imbalance", "puts exceed gets on M by 2"))


# ------------------------------------------------------------------ v2


def test_v2_non_compound_as_v1() -> None:
    v1 = outcomes(seed_images().v1, SPEC, NONCOMP)
    v2 = outcomes(seed_images().v2, SPEC, NONCOMP)
    assert without_stale(v1) == without_stale(v2)


def test_v2_compound_is_clean_and_the_double_free_is_fixed() -> None:
    rev = verdicts("v2")[0][(SPEC, COMP)]
    assert rev.outcome == "clean" and rev.executions > 0
    fixed = [x for x in rev.violations if x.status is Status.FIXED]
    assert "double-free" in {x.property for x in fixed}
    assert all(x.trace for x in fixed)  # the base's counterexample comes along


# ------------------------------------------------------------------ the sketch


def test_sketch_compound_double_free() -> None:
    assert "double-free" in props(verdicts("sketch")[0][(SPEC, COMP)])


def test_sketch_non_compound_css_puts_exceed_gets_or_charge_leak() -> None:
    execs = outcomes(seed_images().sketch, SPEC, NONCOMP)
    assert has(execs, ("css-imbalance", "puts exceed gets"))
    assert has(execs, ("charge-leak", "3 page(s)"))
    assert not has(execs, ("bad-page", ""))


def test_sketch_shared_holders_bad_page() -> None:
    assert "bad-page" in props(verdicts("sketch")[0][(SHARED, NONCOMP)])


# ------------------------------------------------------------------ a revision that gets it right


def test_cached_revision_is_clean_in_speculative_lookup_everywhere() -> None:
    rev, _ = verdicts("cached", (0, 1, 2, 3))
    cells = [v for (sc, _), v in rev.items() if sc == SPEC]
    assert len(cells) == 14
    for v in cells:
        assert v.outcome == "clean", (v.config, [x.detail for x in v.violations if x.status is not Status.FIXED])


def test_cached_revision_still_breaks_shared_holders() -> None:
    rev, _ = verdicts("cached", (0, 1, 2, 3))
    v = rev[(SHARED, NONCOMP)]
    assert v.outcome == "violation" and "bad-page" in props(v)
    assert any('"nonzero mapcount"' in x.detail for x in v.violations)


# ------------------------------------------------------------------ mutations change verdicts


def mutate(name: str, old: str, new: str) -> FunctionImage:
    src = revision(name).source
    assert old in src, old
    return image(src.replace(old, new, 1), revision(name))


def test_mutation_drop_compound_guard() -> None:
    """v2 without `!compound &&`: the compound page's tails get split and freed again."""
    mutant = mutate("v2", "if (order > 0 && !compound) {", "if (order > 0) {")
    assert outcomes(seed_images().v2, SPEC, COMP) == {frozenset()}
    assert has(outcomes(mutant, SPEC, COMP), ("double-free", ""))


def test_mutation_move_pagehead_read_after_the_put() -> None:
    """v2 with `compound = PageHead(page)` read after the put: v1's double free returns."""
    src = revision("v2").source
    moved = src.replace("\tbool compound = PageHead(page);\n", "\tbool compound;\n", 1).replace(
        "\t\treturn;\n\t}\n", "\t\treturn;\n\t}\n\tcompound = PageHead(page);\n", 1)
    assert moved != src
    assert has(outcomes(image(moved), SPEC, COMP), ("double-free", "pages 1..3"))


def test_mutation_drop_pagehead_check_in_base() -> None:
    """The base without `!PageHead(page)`: the owner's non-final put frees a live compound page's
    tails as plain blocks, and their TAIL_MAPPING fails the check ("non-NULL mapping")."""
    mutant = mutate("base", "else if (!PageHead(page))", "else")
    base_execs = outcomes(seed_images().base, SPEC, COMP)
    mutant_execs = outcomes(mutant, SPEC, COMP)
    assert not has(base_execs, ("bad-page", ""))
    assert has(mutant_execs, ("bad-page", '"non-NULL mapping"'))


def test_mutation_swap_copy_and_free_in_sketch() -> None:
    """The sketch with the memcg_data copy after the free: the tails are freed uncharged."""
    mutant = mutate("sketch", "tail->memcg_data = page->memcg_data;\n#endif\n                       free_the_page(tail, order);",
                    "free_the_page(tail, order);\n#endif\n                       tail->memcg_data = page->memcg_data;")
    before = outcomes(seed_images().sketch, SPEC, NONCOMP)
    after = outcomes(mutant, SPEC, NONCOMP)
    assert not has(after, ("css-imbalance", "puts exceed gets"))
    assert has(before, ("css-imbalance", "puts exceed gets"))
    assert has(after, ("charge-leak", "3 page(s)"))


# ------------------------------------------------------------------ traces


def test_trace_names_revision_lines_and_renders_two_columns() -> None:
    base = verdicts("v1")[1][(SPEC, COMP)]
    df = next(x for x in base.violations if x.property == "double-free")
    files = {(s.file, s.line) for s in df.trace}
    assert ("mm/page_alloc.c", 5129) in files  # `else if (!PageHead(page))` of the base
    assert any(s.file == "scenarios/speculative-lookup.toml" for s in df.trace)
    text = format_trace(df)
    assert "CPU0 (owner)" in text and "CPU1 (holder)" in text
    assert "else if (!PageHead(page))" in text and "PageHead(P0) = false" in text
    assert " | " in text


@pytest.mark.parametrize("scenario", [SPEC, SHARED])
def test_order0_is_clean_for_every_revision(scenario: str) -> None:
    """An order-0 page has no tails: every revision leaves it alone (§8, 'order-0 ... we're done')."""
    for name in ("v1", "v2", "sketch", "cached"):
        rev, base = verdicts(name, (0, 1, 2, 3))
        for kmem in (False, True):
            v = rev[(scenario, SimConfig(0, False, kmem))]
            assert v.outcome == "clean", (name, v.violations)


def test_v2_fixes_the_pagehead_read_and_introduces_the_memcg_read() -> None:
    """Classification by property and kind: v2 removes the stale PageHead read but its
    split_page_memcg reads the freed head's memcg_data, a different stale read."""
    rev = verdicts("v2")[0][(SPEC, NONCOMP)]
    stale = {(x.detail.split(" of page ")[0], x.status) for x in rev.violations if x.property == "stale-read"}
    assert ("PageHead", Status.FIXED) in stale
    assert ("split_page_memcg: head memcg_data", Status.INTRODUCED) in stale


# ------------------------------------------------------------------ other functions from C source

SPLIT_PAGE_MEMCG = """void split_page_memcg(struct page *head, unsigned int nr)
{
	struct mem_cgroup *memcg = page_memcg(head);
	int i;

	if (mem_cgroup_disabled() || !memcg)
		return;

	for (i = 1; i < nr; i++)
		head[i].memcg_data = head->memcg_data;
	css_get_many(&memcg->css, nr - 1);
}
"""

SPLIT_PAGE_OLD = """void split_page(struct page *page, unsigned int order)
{
	int i;

	VM_BUG_ON_PAGE(PageCompound(page), page);
	VM_BUG_ON_PAGE(!page_count(page), page);

	for (i = 1; i < (1 << order); i++)
		set_page_refcounted(page + i);
	split_page_owner(page, 1 << order);
}
"""
SPLIT_PAGE_NEW = SPLIT_PAGE_OLD.replace(
    "split_page_owner(page, 1 << order);\n", "split_page_owner(page, 1 << order);\n\tsplit_page_memcg(page, 1 << order);\n")


def c_image(name: str, path: str, line: int, source: str) -> FunctionImage:
    return FunctionImage(name, path, line, line + source.count("\n") - 1, source)


def test_interpreted_split_page_memcg_matches_the_model() -> None:
    """The same function interpreted from C source and run as the model primitive reaches the
    same outcomes (stale-read details name the C expression instead, so they are left out)."""
    interpreted = {"split_page_memcg": c_image("split_page_memcg", "mm/memcontrol.c", 3298, SPLIT_PAGE_MEMCG)}
    for cfg in (NONCOMP, SimConfig(3, False, True)):
        model = without_stale(outcomes(seed_images().v1, SPEC, cfg))
        source = without_stale(outcomes(seed_images().v1, SPEC, cfg, extra=interpreted))
        assert model == source and len(model) > 2


def test_split_page_without_memcg_split_leaks_the_charge_and_the_fix_is_seen() -> None:
    """split-then-free: a split_page() that does not split the memcg leaves 2^order - 1 pages
    charged when the order-0 pieces are freed; adding split_page_memcg() fixes it."""
    old = c_image("split_page", "mm/page_alloc.c", 3300, SPLIT_PAGE_OLD)
    new = c_image("split_page", "mm/page_alloc.c", 3300, SPLIT_PAGE_NEW)
    result = simulate_revision("split", [TouchedFunction("split_page", old.path, old, new)], base_id="old",
                               post_lookup=None, pre_lookup=None, config=SimulatorConfig(orders=(2,)),
                               kconfig=KCONFIG)
    cells = {(v.scenario, v.config): v for v in result.revision}
    base = {(v.scenario, v.config): v for v in result.base}
    key = ("split-then-free", NONCOMP)
    assert {x.detail for x in base[key].violations} == {"3 page(s) still charged to memcg M"}
    assert cells[key].outcome == "clean"
    assert [(x.property, x.status) for x in cells[key].violations] == [("charge-leak", Status.FIXED)]
    assert ("split-then-free", COMP) not in cells  # the scenario is for non-compound blocks only
    assert "split_page" in cells[key].functions
