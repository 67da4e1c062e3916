"""Acceptance on the real Linux 5.12.9 excerpt: callees run as the tree's own code.

The split-page thread's patch 2/2 is already in 5.12.9, so the tree here is the excerpt with
that patch reverse-applied by git (and committed): the thread's revisions then apply forward.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from _real_data import CORPUS, KERNEL

from reviewer._config import CacheConfig, SimulatorConfig, load_config
from reviewer._mbox import split_mbox
from reviewer.model import FunctionImage, Review, RevisionKind, SimVerdict, Status, TouchedFunction
from reviewer.pipeline import build_review
from reviewer.revisions import find_revisions
from reviewer.sim import SimCache, simulate_revision
from reviewer.sim.resolve import TreeSource
from reviewer.sim.resolve._where import may_define
from reviewer.thread import build_thread

pytestmark = pytest.mark.real_data

KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_DEBUG_VM": False,
                                        "CONFIG_MEMCG_KMEM": True, "CONFIG_MMU": True}
_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git(repo: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, text=True,
                          env=_ENV, check=True).stdout


@pytest.fixture(scope="module")
def kernel_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kernel") / "linux"
    subprocess.run(["bash", str(KERNEL / "make-tree.sh"), str(dest)], check=True, capture_output=True)
    return dest


@pytest.fixture(scope="module")
def split_page_review(tmp_path_factory: pytest.TempPathFactory) -> Review:
    """The split-page thread reviewed against the excerpt with its 2/2 reverse-applied."""
    dest = tmp_path_factory.mktemp("kernel-before-2of2") / "linux"
    subprocess.run(["bash", str(KERNEL / "make-tree.sh"), str(dest)], check=True, capture_output=True)
    thread = build_thread(split_mbox((CORPUS / "split-page-memcg-v2.mbox").read_bytes()))
    (two,) = [r for r in find_revisions(thread) if r.kind is RevisionKind.FORMAL]
    _git(dest, "apply", "-R", "-", stdin=two.diff)
    _git(dest, "commit", "-q", "-am", "Revert the split-page 2/2 so that it applies forward")
    cfg = load_config(include_user=False)
    cfg = replace(cfg, cache=CacheConfig(tmp_path_factory.mktemp("cache")))
    return build_review(thread, cfg, tree=dest)


def _sim(review: Review, *, author: str, kind: RevisionKind) -> list[list[SimVerdict]]:
    return [list(rr.sim_verdicts) for rr in review.revisions
            if rr.revision.kind is kind and author in rr.revision.author.email]


def test_split_page_2of2_is_analysed_and_fixes_the_split_charge_leak(split_page_review: Review) -> None:
    (two,) = _sim(split_page_review, author="huawei", kind=RevisionKind.FORMAL)
    assert two and all(v.outcome != "not-analysed" for v in two), [v.reason for v in two]
    fixed = {(v.scenario, x.property) for v in two for x in v.violations if x.status is Status.FIXED}
    assert ("split-then-free", "charge-leak") in fixed
    assert all(x.status is Status.FIXED for v in two for x in v.violations)


def test_both_memcg_charge_sketches_are_analysed_with_the_repairs_said(split_page_review: Review) -> None:
    sketches = _sim(split_page_review, author="suse", kind=RevisionKind.SKETCH)
    assert len(sketches) == 2
    for verdicts in sketches:
        assert verdicts and all(v.outcome != "not-analysed" for v in verdicts), {v.reason for v in verdicts}
        kmem = [v for v in verdicts if v.config.kmem]
        assert all("__memcg_kmem_charge_page" in v.functions for v in kmem)
        assert all("`i` is not declared" in v.reason and "';' missing" in v.reason for v in kmem)
        # copying memcg_data into every tail page: freeing the block finds charged tails
        assert any(x.property == "bad-page" and "still charged" in x.detail and x.status is Status.INTRODUCED
                   for v in verdicts for x in v.violations)
    first, second = sketches
    css = {v.config for v in first for x in v.violations if x.property == "css-imbalance"
           and "puts exceed gets" in x.detail and x.status is Status.INTRODUCED}
    assert css  # the first sketch copies the memcg without taking its css references
    assert not {v.config for v in second for x in v.violations if x.property == "css-imbalance"
                and "puts exceed gets" in x.detail and x.status is Status.INTRODUCED}


PAGE_REF = """void __free_pages(struct page *page, unsigned int order)
{
	if (page_ref_dec_and_test(page))
		free_the_page(page, order);
	else if (!PageHead(page))
		while (order-- > 0)
			free_the_page(page + (1 << order), order);
}
"""
ATOMIC = PAGE_REF.replace("page_ref_dec_and_test(page)", "atomic_dec_and_test(&page->_refcount)")


@pytest.mark.parametrize("source", [PAGE_REF, ATOMIC], ids=["page_ref", "atomic"])
def test_free_pages_written_with_page_ref_and_atomics_behaves_as_the_base(kernel_tree: Path, source: str) -> None:
    """The same __free_pages with the refcount dropped through the page_ref_* helper (run from
    page_ref.h, its tracepoint #ifdef decided by kconfig) or atomic_* on page->_refcount: every
    cell is analysed, and every violation is the base's own (the code means the same)."""
    base = TreeSource(kernel_tree, "HEAD", kconfig=KCONFIG, roots=["mm/page_alloc.c"])
    pre = base.lookup("__free_pages")
    assert pre is not None
    post = FunctionImage("__free_pages", pre.path, pre.start_line, pre.start_line + source.count("\n") - 1, source)
    result = simulate_revision("rev", [TouchedFunction("__free_pages", pre.path, pre, post)], base_id="base",
                               post_lookup=base, pre_lookup=base, config=SimulatorConfig(orders=(0, 1, 2)),
                               kconfig=KCONFIG, cache=SimCache())
    assert result.revision and all(v.outcome != "not-analysed" for v in result.revision)
    assert all(x.status is Status.PRE_EXISTING for v in result.revision for x in v.violations)
    assert any(v.violations for v in result.revision)
    if source is PAGE_REF:
        assert all("page_ref_dec_and_test" not in v.reason for v in result.revision)


def test_tree_source_runs_macro_families_and_kconfig_conditionals(kernel_tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    src = TreeSource(kernel_tree, "HEAD", kconfig=KCONFIG, cache_dir=cache, roots=["mm/page_alloc.c"])
    lru = src.lookup("PageLRU")  # generated by PAGEFLAG(LRU, lru, PF_HEAD) in page-flags.h
    assert lru is not None and lru.path == "include/linux/page-flags.h"
    assert "test_bit(PG_lru" in lru.source
    assert src.constant("PG_head") == 16
    ref = src.lookup("page_ref_dec_and_test")
    assert ref is not None and "if (false)" in ref.source  # page_ref_tracepoint_active(t) is false
    traced = TreeSource(kernel_tree, "HEAD", kconfig={**KCONFIG, "CONFIG_DEBUG_PAGE_REF": True})
    ref2 = traced.lookup("page_ref_dec_and_test")
    assert ref2 is not None and "tracepoint_enabled(page_ref_mod_and_test)" in ref2.source
    charge = src.lookup("__memcg_kmem_charge_page")
    assert charge is not None and charge.path == "mm/memcontrol.c"  # CONFIG_MEMCG_KMEM: the real one
    stub = TreeSource(kernel_tree, "HEAD", kconfig={"CONFIG_MEMCG": True}).lookup("__memcg_kmem_charge_page")
    assert stub is not None and stub.path == "include/linux/memcontrol.h"  # the !KMEM stub
    src.flush()
    tree_id = _git(kernel_tree, "rev-parse", "HEAD^{tree}").strip()
    assert any(p.name.startswith(tree_id) for p in (cache / "sim-symbols" / "trees").iterdir())
    again = TreeSource(kernel_tree, "HEAD", kconfig=KCONFIG, cache_dir=cache, roots=["mm/page_alloc.c"])
    assert again.lookup("PageLRU") == lru
    assert again.files_read < src.files_read  # the index sends it straight to page-flags.h


def test_a_name_the_tree_does_not_define_is_not_paid_for_by_preprocessing(kernel_tree: Path) -> None:
    """Posted code that assigns an undeclared `i` makes the simulator ask whether the tree has
    an enumerator, a macro or a global of that name. The answer (no) is found on raw text: the
    walk of includes preprocesses no file for it, and a real definition is still found."""
    src = TreeSource(kernel_tree, "HEAD", kconfig=KCONFIG, roots=["mm/page_alloc.c"])
    assert src.constant("i") is None and src.macro("i") is None
    assert src.files_read == 0
    assert src.global_type("i") is None
    assert list(src._files) == ["mm/page_alloc.c"]  # its own file (a parameter `int i` at column 0)
    assert src.constant("PG_head") == 16  # an enumerator pasted by a macro family still is found
    assert src.files_read <= 3


@pytest.mark.parametrize(("text", "name", "kind", "may"), [
    ("\ti = 0;\n", "i", "enum", False),
    ("enum x {\n\tA = 1,\n\ti\n};\n", "i", "enum", True),
    ("enum zone_type z; int i;\n", "i", "enum", False),
    ("#define PG_MAX 3\n", "PG_MAX", "macro", True),
    ("\tfoo(i);\n", "foo", "macro", False),
    ("static inline int PageHead(struct page *p)\n", "PageHead", "function", True),
    ("#define TESTPAGEFLAG(uname) int Page##uname(void)\nTESTPAGEFLAG(Head)\n", "PageHead", "function", True),
    ("#define TESTPAGEFLAG(uname) int Page##uname(void)\nTESTPAGEFLAG(Head)\n", "spin_lock", "function", False),
    ("DEFINE_PER_CPU(int, counter);\n", "counter", "global", True),
    ("\tint counter;\n", "counter", "global", False),
])
def test_raw_text_test_before_preprocessing(text: str, name: str, kind: str, may: bool) -> None:
    assert may_define(text, name, kind) is may


def test_a_memcg_hierarchy_walk_ends_at_the_root(kernel_tree: Path) -> None:
    """lru_note_cost_page() walks the page's lruvec and then each parent's (parent_lruvec():
    lruvec_memcg(), parent_mem_cgroup()): the model's memcg M is a child of the root, whose
    page counter has no parent, and each per-node info points back at its memcg, so the walk
    ends (not an endless hierarchy of invented parents) and every cell is analysed."""
    tree = TreeSource(kernel_tree, "HEAD", kconfig=KCONFIG, roots=["mm/swap.c"])
    pre = tree.lookup("lru_note_cost_page")
    assert pre is not None
    post = FunctionImage(pre.name, pre.path, pre.start_line, pre.end_line + 1,
                         pre.source.replace("{\n", "{\n\tbarrier();\n", 1))
    result = simulate_revision("rev", [TouchedFunction(pre.name, pre.path, pre, post)], base_id="base",
                               post_lookup=tree, pre_lookup=tree, config=SimulatorConfig(orders=(0, 1)),
                               kconfig=KCONFIG, cache=SimCache())
    assert result.revision and all(v.outcome == "clean" for v in result.revision)
