"""Acceptance on the seed thread, through the real stages: thread -> revisions -> trees -> checks.

The expected findings are the ones the thread's reviewers found by hand: the PageHead test after
the put (pre-existing in v1 and the sketch, fixed in v2), split_page_memcg() after the put
(v1, v2), split_page_memcg() then order > 0 frees (v1, v2), the sketch's memcg_data copy after
the put, and v2's Fixes: trailer without ("...") -- and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import git
import jsonschema
import pytest
from check_cases.build import commit_files

from reviewer.check_api import LoadedCheck, finding_to_json, load_checks, run_checks
from reviewer.model import AppliedRevision, Finding, Revision, Thread
from reviewer.revisions import find_revisions
from reviewer.testtree import build_test_tree, layout_tree_files
from reviewer.trees import apply_all

Row = tuple[str, str, str, int, str]
SCHEMA = Path(__file__).resolve().parents[1] / "reviewer" / "report" / "schema" / "reviewer-1.schema.json"

HEAD_V1 = ("read-after-put", "pre-existing", "mm/page_alloc.c", 5148, "PageHead(page) after put_page_testzero(page)")
SPLIT_AFTER_PUT = "split_page_memcg(page, ...) after put_page_testzero(page)"
SPLIT_FREE = "split_page_memcg(page, 1 << order) then free_the_page(..., order)"


def rows(found: tuple[Finding, ...]) -> set[Row]:
    return {(f.check, f.status.value, f.file, f.line, f.key) for f in found}


@pytest.fixture(scope="module")
def checks() -> tuple[LoadedCheck, ...]:
    loaded = load_checks()
    assert [c.error for c in loaded if c.error] == []
    return loaded


@pytest.fixture(scope="module")
def revisions(seed_thread: Thread) -> dict[str, Revision]:
    return {r.label.split(" ")[0]: r for r in find_revisions(seed_thread)}


def review(revisions: dict[str, Revision], repo: Path | None, scratch: Path,
           checks: tuple[LoadedCheck, ...]) -> dict[str, set[Row]]:
    applied: tuple[AppliedRevision, ...] = apply_all(list(revisions.values()), repo, thread_key="seed", scratch=scratch)
    out = {}
    for (label, rev), result in zip(revisions.items(), applied, strict=True):
        assert result.applied, result.error
        out[label] = rows(run_checks(rev, result, None, checks))
    return out


def expected_on_tree() -> dict[str, set[Row]]:
    return {
        "v1": {
            HEAD_V1,
            ("read-after-put", "introduced", "mm/page_alloc.c", 5149, SPLIT_AFTER_PUT),
            ("split-then-free-high-order", "introduced", "mm/page_alloc.c", 5149, SPLIT_FREE),
        },
        "v2": {
            ("read-after-put", "fixed", "mm/page_alloc.c", 5129, "PageHead(page) after put_page_testzero(page)"),
            ("read-after-put", "introduced", "mm/page_alloc.c", 5157, SPLIT_AFTER_PUT),
            ("split-then-free-high-order", "introduced", "mm/page_alloc.c", 5157, SPLIT_FREE),
            ("fixes-tag", "introduced", "COMMIT_MSG", 27, "unquoted-subject e320d3012d25"),
        },
        # The sketch applies to the tree's __free_pages (5125), not at its hunk's 5081.
        "sketch": {
            ("read-after-put", "pre-existing", "mm/page_alloc.c", 5129, "PageHead(page) after put_page_testzero(page)"),
            ("read-after-put", "introduced", "mm/page_alloc.c", 5133, "page->memcg_data after put_page_testzero(page)"),
        },
    }


def test_seed_findings_on_a_tree_built_from_the_pre_images(
    revisions: dict[str, Revision], checks: tuple[LoadedCheck, ...], tmp_path: Path
) -> None:
    tree = build_test_tree(list(revisions.values()), tmp_path / "tree")
    assert review(revisions, tree, tmp_path / "scratch", checks) == expected_on_tree()


def test_seed_findings_without_a_tree(revisions: dict[str, Revision], checks: tuple[LoadedCheck, ...],
                                      tmp_path: Path) -> None:
    got = review(revisions, None, tmp_path / "scratch", checks)
    want = expected_on_tree()
    assert got["v1"] == want["v1"] and got["v2"] == want["v2"]
    # On its own synthetic base the sketch keeps its hunk's numbering (5081 + 3, + 7).
    assert {(c, s, k) for c, s, _, _, k in got["sketch"]} == {(c, s, k) for c, s, _, _, k in want["sketch"]}
    assert {line for *_, line, _ in got["sketch"]} == {5084, 5088}


def test_tree_wide_callers_are_context_on_every_revision(
    revisions: dict[str, Revision], checks: tuple[LoadedCheck, ...], tmp_path: Path
) -> None:
    repo = git.Repo.init(tmp_path / "kernel", initial_branch="master")
    files = layout_tree_files(list(revisions.values())) | {
        "drivers/dma-buf/heaps/system_heap.c":
            "static void release(struct page *page)\n{\n\t__free_pages(page, compound_order(page));\n}\n",
        "mm/huge_memory.c": "static void *z(void) { return alloc_pages(GFP_KERNEL | __GFP_COMP, 9); }\n"
                            "static void y(struct page *p) { __free_pages(p, 9); }\n",
    }
    commit_files(repo, files, "base")
    got = review(revisions, Path(repo.working_dir), tmp_path / "scratch", checks)
    for label in ("v1", "v2", "sketch"):
        wide = {r for r in got[label] if r[0] == "free-pages-on-compound"}
        assert {(s, f, k) for _, s, f, _, k in wide} == {
            ("pre-existing", "drivers/dma-buf/heaps/system_heap.c",
             "drivers/dma-buf/heaps/system_heap.c: __free_pages(page, compound_order(page));"),
            ("pre-existing", "mm/page_alloc.c", "files allocating with __GFP_COMP and freeing with __free_pages"),
        }, label
        assert got[label] - wide == expected_on_tree()[label], label


def test_seed_findings_render_as_report_json(revisions: dict[str, Revision], checks: tuple[LoadedCheck, ...],
                                             tmp_path: Path) -> None:
    import json

    schema = json.loads(SCHEMA.read_text())
    (applied,) = apply_all([revisions["v2"]], None, thread_key="seed", scratch=tmp_path)
    found = run_checks(revisions["v2"], applied, None, checks)
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/check_finding"})
    for f in found:
        validator.validate(finding_to_json(f))
    fixes = next(finding_to_json(f) for f in found if f.check == "fixes-tag")
    assert fixes["status"] == "introduced" and fixes["severity"] == "warning"
    assert fixes["evidence"] == ["Fixes: e320d3012d25 mm/page_alloc.c: fix freeing non-compound pages"]
    split = next(f for f in found if f.check == "read-after-put" and f.status.value == "introduced")
    assert {"split_page_memcg", "memcg_data", "put_page_testzero"} <= set(split.symbols)
    assert split.evidence == (
        "mm/page_alloc.c:5133: if (likely(put_page_testzero(page))) {",
        "mm/page_alloc.c:5157: split_page_memcg(page, 1 << order);",
    )
