"""Verdicts for revisions outside the built-in scenarios: the generic harness, budgets, assertions."""

from __future__ import annotations

import pytest

from reviewer._config import SimulatorConfig
from reviewer.model import FunctionImage, TouchedFunction
from reviewer.sim import SimCache, simulate_revision
from reviewer.sim.harness import generic_scenarios

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False, "CONFIG_MEMCG_KMEM": True}
CONFIG = SimulatorConfig(orders=(0, 1), max_steps=300, max_seconds=5.0)


def touched(name: str, pre: str | None, post: str | None) -> TouchedFunction:
    def image(src: str | None) -> FunctionImage | None:
        return None if src is None else FunctionImage(name, "mm/x.c", 100, 100 + src.count("\n"), src)

    return TouchedFunction(name, "mm/x.c", image(pre), image(post))


def simulate(fn: TouchedFunction, kconfig: dict[str, bool | int | str] = KCONFIG) -> list:  # type: ignore[type-arg]
    return list(simulate_revision("r", [fn], base_id="b", post_lookup=None, pre_lookup=None, config=CONFIG,
                                  kconfig=kconfig, cache=SimCache()).revision)


def test_generic_harness_runs_a_function_no_scenario_names_and_says_so() -> None:
    """A helper that drops the caller's reference twice: the second drop, on a page already
    freed, frees its tail pages again."""
    pre = "void drop_extra(struct page *page, unsigned int order)\n{\n\tput_page(page);\n}\n"
    post = ("void drop_extra(struct page *page, unsigned int order)\n{\n\tput_page(page);\n"
            "\t__free_pages(page, order);\n}\n")
    verdicts = simulate(touched("drop_extra", pre, post))
    scenarios = {v.scenario for v in verdicts}
    assert scenarios == {"generic harness: drop_extra", "generic harness: drop_extra vs put_page"}
    assert all(v.outcome != "not-analysed" for v in verdicts)
    assert all(v.reason.startswith("generic harness: drop_extra(page, order)") for v in verdicts)
    alone = [v for v in verdicts if v.scenario == "generic harness: drop_extra" and v.config.order == 1]
    assert any(x.property == "double-free" and x.status.value == "introduced" for v in alone for x in v.violations)
    assert all(any(x.property == "bad-page" and "nonzero _refcount" in x.detail for x in v.violations)
               for v in verdicts if v.config.order == 0)  # the second put finds the freed page


def test_generic_harness_derives_arguments_from_the_signature_or_names_the_one_it_cannot() -> None:
    ok = FunctionImage("f", "mm/x.c", 1, 3, "void f(struct page *page, unsigned int order, int nr, gfp_t gfp)\n{\n}\n")
    plan = generic_scenarios(ok)
    assert plan is not None and not plan.problem
    assert "f(page, order, 1 << order, gfp);" in plan.scenarios[0].threads[0].image.source
    bad = FunctionImage("g", "mm/x.c", 1, 3, "void g(struct page *page, unsigned int flags)\n{\n}\n")
    plan = generic_scenarios(bad)
    assert plan is not None and plan.problem == "generic harness: no value for parameter flags of g()"
    assert generic_scenarios(FunctionImage("h", "mm/x.c", 1, 3, "int h(int x)\n{\n\treturn x;\n}\n")) is None
    verdicts = simulate(touched("g", bad.source, bad.source.replace("{\n}", "{\n\treturn;\n}")))
    assert verdicts and all(v.outcome == "not-analysed" and "parameter flags" in v.reason for v in verdicts)


def test_code_that_loops_forever_gives_budget_exceeded_not_a_hang() -> None:
    pre = "void spin(struct page *page)\n{\n}\n"
    post = "void spin(struct page *page)\n{\n\tint i = 0;\n\n\tfor (;;)\n\t\ti++;\n}\n"
    verdicts = simulate(touched("spin", pre, post))
    assert verdicts
    for v in verdicts:
        assert v.outcome == "violation"
        (budget,) = [x for x in v.violations if x.property == "budget-exceeded"]
        assert "more than 300 loop iterations" in budget.detail and "mm/x.c:105" in budget.detail


def test_a_spinning_wait_on_shared_state_is_cut_by_the_step_budget() -> None:
    pre = "void wait_free(struct page *page)\n{\n}\n"
    post = "void wait_free(struct page *page)\n{\n\twhile (page_count(page) > 0)\n\t\t;\n}\n"
    verdicts = simulate(touched("wait_free", pre, post))
    assert verdicts and all(any(x.property == "budget-exceeded" for x in v.violations) for v in verdicts
                            if v.scenario.endswith("drop_extra") or "vs put_page" not in v.scenario)


def test_assertion_property_names_the_failed_condition() -> None:
    pre = "void check(struct page *page)\n{\n}\n"
    post = "void check(struct page *page)\n{\n\tVM_BUG_ON_PAGE(page_count(page) == 1, page);\n}\n"
    quiet = simulate(touched("check", pre, post))
    assert all(not v.violations for v in quiet)  # without DEBUG_VM the condition is not evaluated
    loud = simulate(touched("check", pre, post), {**KCONFIG, "CONFIG_DEBUG_VM": True})
    found = {x.detail for v in loud for x in v.violations if x.property == "assertion"}
    assert found == {"VM_BUG_ON_PAGE(page_count(page) == 1) failed at mm/x.c:102"}


def test_buddy_arithmetic_reaches_the_frames_around_the_allocation() -> None:
    """The allocation starts an aligned block of four times its size whose other frames are in
    use by other owners: its buddy and the next order's buddy (buddy_merge_likely's
    higher_buddy) are modelled frames, one reference each, not PageBuddy."""
    src = ("int buddy_in_use(struct page *page, unsigned int order)\n{\n"
           "\tunsigned long pfn = page_to_pfn(page);\n"
           "\tunsigned long buddy_pfn = pfn ^ (1 << order);\n"
           "\tstruct page *buddy = page + (buddy_pfn - pfn);\n"
           "\tstruct page *higher = page + (((buddy_pfn & pfn) ^ (2 << order)) - pfn);\n\n"
           "\tif (atomic_read(&buddy->_refcount) != 1 || atomic_read(&buddy->_mapcount) != -1 ||\n"
           "\t    atomic_read(&higher->_refcount) != 1)\n"
           "\t\t__free_pages(page, order);\n"
           "\treturn 0;\n}\n")
    verdicts = simulate(touched("buddy_in_use", src.replace("return 0", "return 1"), src))
    assert verdicts and all(v.outcome == "clean" for v in verdicts)


def _excerpt_function(path: str, name: str) -> FunctionImage:
    from _real_data import KERNEL

    from reviewer.trees import find_functions

    source = (KERNEL / "linux-5.12.9" / path).read_text()
    (span,) = [f for f in find_functions(source, path) if f.name == name][:1]
    text = "\n".join(source.split("\n")[span.start_line - 1:span.end_line]) + "\n"
    return FunctionImage(name, path, span.start_line, span.end_line, text)


@pytest.mark.real_data
def test_a_flag_word_takes_each_flag_the_function_tests_with_the_flags_leading_to_it() -> None:
    """mm/gup.c's try_grab_compound_head() tests flags & FOLL_GET, else & FOLL_PIN, and inside
    that branch & FOLL_LONGTERM: three variants (FOLL_GET, FOLL_PIN, FOLL_PIN | FOLL_LONGTERM),
    each saying where its value came from; never "no flag", which only meets its WARN_ON_ONCE."""
    plan = generic_scenarios(_excerpt_function("mm/gup.c", "try_grab_compound_head"))
    assert plan is not None and not plan.problem
    names = [s.name for s in plan.scenarios]
    assert names == [f"generic harness: try_grab_compound_head [{v}]{vs}"
                     for v in ("FOLL_GET", "FOLL_PIN", "FOLL_PIN | FOLL_LONGTERM") for vs in ("", " vs put_page")]
    pin = plan.scenarios[2]
    assert "try_grab_compound_head(page, 1, FOLL_PIN);" in pin.threads[0].image.source
    assert "flags=FOLL_PIN: a flag the function tests" in pin.description
    assert "flags=FOLL_PIN | FOLL_LONGTERM: flags the function tests" in plan.scenarios[4].description
    put = generic_scenarios(_excerpt_function("mm/gup.c", "put_compound_head"))
    assert put is not None and [s.name for s in put.scenarios] == [
        "generic harness: put_compound_head", "generic harness: put_compound_head vs put_page"]
    assert "flags=FOLL_PIN: a flag the function tests" in put.scenarios[0].description


def test_buddy_optional_pointers_bools_and_messages_by_the_functions_own_code() -> None:
    """A second page named buddy is the page's buddy; a pointer tested for NULL before any use is
    NULL; a bool the body tests runs both ways; a message is any text. A pointer the body uses
    before (or without) a NULL test has no value."""
    src = ("bool f(struct capture_control *capc, struct page *page, struct page *buddy, unsigned int order,\n"
           "       bool whole, const char *reason)\n{\n\tif (!capc || whole)\n\t\treturn false;\n"
           "\treturn capc->page == buddy;\n}\n")
    plan = generic_scenarios(FunctionImage("f", "mm/x.c", 1, 7, src))
    assert plan is not None and not plan.problem and len(plan.scenarios) == 4
    call = plan.scenarios[2].threads[0].image.source
    assert ('f(NULL, page, page + ((page_to_pfn(page) ^ (1 << order)) - page_to_pfn(page)), order, true, '
            '"generic harness");') in call
    assert "capc=NULL: the function checks it for NULL before any use" in plan.scenarios[0].description
    verdicts = simulate(touched("f", src, src.replace("return false", "return true")))
    assert verdicts and all(v.outcome == "clean" for v in verdicts)
    used = "void g(struct page *page, struct vm_area_struct *vma)\n{\n\tif (vma->vm_flags)\n\t\tput_page(page);\n}\n"
    plan = generic_scenarios(FunctionImage("g", "mm/x.c", 1, 5, used))
    assert plan is not None and plan.problem == "generic harness: no value for parameter vma of g()"
    stub = "static inline bool h(struct capture_control *capc, struct page *page)\n{\n\treturn false;\n}\n"
    plan = generic_scenarios(FunctionImage("h", "mm/x.c", 1, 4, stub))
    assert plan is not None and "capc=NULL: the function never uses it" in plan.scenarios[0].description


@pytest.mark.real_data
def test_compared_values_from_the_functions_own_code() -> None:
    """mm/page_alloc.c's steal_suitable_fallback(): alloc_flags is masked with ALLOC_KSWAPD (a
    flag word), start_type only compared with MIGRATE_MOVABLE (that value, no made-up 0), and
    whole_block a bool it tests."""
    plan = generic_scenarios(_excerpt_function("mm/page_alloc.c", "steal_suitable_fallback"))
    assert plan is not None and not plan.problem
    assert [s.name for s in plan.scenarios][::2] == [
        "generic harness: steal_suitable_fallback [false]", "generic harness: steal_suitable_fallback [true]"]
    assert "start_type=MIGRATE_MOVABLE: a value the function compares it with" in plan.scenarios[0].description
    assert "alloc_flags=ALLOC_KSWAPD: a flag the function tests" in plan.scenarios[0].description


def test_one_parameter_varied_at_a_time_each_getting_its_turn() -> None:
    src = ("void f(struct page *page, unsigned int flags, bool whole)\n{\n\tif (flags & A_ONE)\n\t\tput_page(page);\n"
           "\tif (flags & A_TWO)\n\t\tget_page(page);\n\tif (whole)\n\t\tput_page(page);\n}\n")
    plan = generic_scenarios(FunctionImage("f", "mm/x.c", 1, 9, src))
    assert plan is not None and not plan.problem
    assert [s.name for s in plan.scenarios][::2] == [
        "generic harness: f [A_ONE, false]", "generic harness: f [A_TWO, false]", "generic harness: f [A_ONE, true]"]
