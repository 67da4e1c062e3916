"""free-pages-on-compound: the thread's two greps, run with git on a real small tree."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from check_cases.build import commit_files, findings, make_case

FREE = """
void __free_pages(struct page *page, unsigned int order)
{
	if (put_page_testzero(page))
		free_the_page(page, order);
}
"""
FREE_WARN = """
void __free_pages(struct page *page, unsigned int order)
{
	WARN_ON_ONCE(PageCompound(page));
	if (put_page_testzero(page))
		free_the_page(page, order);
}
"""
TREE = {
    "drivers/heap.c": "void a(struct page *p)\n{\n\t__free_pages(p, compound_order(p));\n}\n",
    "drivers/ring.c": "void *r(void) { return alloc_pages(__GFP_COMP, 2); }\nvoid s(struct page *p) { __free_pages(p, 2); }\n",
    "drivers/only_alloc.c": "void *t(void) { return alloc_pages(__GFP_COMP, 2); }\n",
    "lib/other.c": "void o(struct page *p) { __free_pages(p, 0); }\n",
}


@pytest.fixture
def tree(tmp_path: Path) -> tuple[git.Repo, str]:
    repo = git.Repo.init(tmp_path, initial_branch="master")
    return repo, commit_files(repo, TREE, "base")


def keys(pre: str, post: str, tree: tuple[git.Repo, str] | None) -> set[tuple[str, str, str]]:
    repo, base = tree if tree else (None, "synthetic")
    case = make_case(pre, post, base=base, commit=base)
    return {(f.status.value, f.file, f.key) for f in findings(case, "free-pages-on-compound", repo=repo)}


def test_change_to_free_pages_lists_compound_callers_and_files(tree: tuple[git.Repo, str]) -> None:
    got = keys(FREE, FREE_WARN, tree)
    assert got == {
        ("pre-existing", "drivers/heap.c", "drivers/heap.c: __free_pages(p, compound_order(p));"),
        ("pre-existing", "mm/page_alloc.c", "files allocating with __GFP_COMP and freeing with __free_pages"),
    }
    repo, base = tree
    summary = next(f for f in findings(make_case(FREE, FREE_WARN, base=base, commit=base), "free-pages-on-compound",
                                       repo=repo) if f.file == "mm/page_alloc.c")
    assert summary.evidence == ("drivers/ring.c",) and summary.severity.value == "info"


def test_change_guarded_by_a_compound_test_counts(tree: tuple[git.Repo, str]) -> None:
    pre = "void put_it(struct page *page)\n{\n\tif (PageHead(page))\n\t\tdo_a(page);\n}\n"
    post = "void put_it(struct page *page)\n{\n\tif (PageHead(page))\n\t\tdo_b(page);\n}\n"
    assert ("pre-existing", "drivers/heap.c", "drivers/heap.c: __free_pages(p, compound_order(p));") in keys(pre, post, tree)


def test_unrelated_change_or_no_tree_gives_nothing(tree: tuple[git.Repo, str]) -> None:
    pre = "void put_it(struct page *page)\n{\n\tif (PageHead(page))\n\t\tdo_a(page);\n\tdo_c(page);\n}\n"
    post = "void put_it(struct page *page)\n{\n\tif (PageHead(page))\n\t\tdo_a(page);\n\tdo_d(page);\n}\n"
    assert keys(pre, post, tree) == set()
    assert keys(FREE, FREE_WARN, None) == set()
