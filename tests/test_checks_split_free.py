"""split-then-free-high-order: positive and negative cases written for the check."""

from __future__ import annotations

from check_cases.build import findings, make_case, summary

BASE = """
void release(struct page *page, unsigned int order)
{
    free_the_page(page, order);
}
"""


def run(post: str) -> set[tuple[str, str, int]]:
    return summary(findings(make_case(BASE, post, start=50), "split-then-free-high-order"))


def test_split_then_descending_order_frees_is_reported() -> None:
    case = make_case(BASE, """
        void release(struct page *page, unsigned int order)
        {
            split_page_memcg(page, 1 << order);
            while (order-- > 0)
                free_the_page(page + (1 << order), order);
        }
        """, start=50)
    (f,) = findings(case, "split-then-free-high-order")
    assert (f.status.value, f.line, f.severity.value) == ("introduced", 52, "error")
    assert f.key == "split_page_memcg(page, 1 << order) then free_the_page(..., order)"
    assert f.evidence == (
        "mm/page_alloc.c:52: split_page_memcg(page, 1 << order);",
        "mm/page_alloc.c:54: free_the_page(page + (1 << order), order);",
    )
    assert {"check_free_page", "memcg_data"} <= set(f.symbols)


def test_for_loop_with_fixed_nonzero_order_is_reported() -> None:
    got = run("""
        void release(struct page *page, unsigned int order)
        {
            int i;

            split_page_memcg(page, 8);
            for (i = 0; i < 8; i += 2)
                __free_pages(page + i, 1);
        }
        """)
    assert got == {("introduced", "split_page_memcg(page, 8) then __free_pages(..., 1)", 54)}


def test_order_zero_frees_after_split_are_fine() -> None:
    assert run("""
        void release(struct page *page, unsigned int order)
        {
            int i;

            split_page_memcg(page, 1 << order);
            for (i = 0; i < (1 << order); i++)
                free_the_page(page + i, 0);
        }
        """) == set()


def test_single_page_split_free_before_split_or_outside_a_loop_are_fine() -> None:
    assert run("""
        void release(struct page *page, unsigned int order)
        {
            while (order-- > 0)
                free_the_page(page + (1 << order), order);
            split_page_memcg(page, 1);
            free_the_page(page, order);
        }
        """) == set()


def test_copying_memcg_data_to_each_block_head_is_not_a_split() -> None:
    # The sketch's way: memcg_data only on the first page of each freed block.
    assert run("""
        void release(struct page *page, unsigned int order)
        {
            while (order-- > 0) {
                struct page *tail = page + (1 << order);
                tail->memcg_data = page->memcg_data;
                free_the_page(tail, order);
            }
        }
        """) == set()


def test_free_one_page_order_is_its_fourth_argument() -> None:
    """free_one_page(zone, page, pfn, order, ...): order 0 there is fine, however the page is named."""
    assert run("""
        void release(struct page *page, unsigned int order)
        {
            int i;

            split_page_memcg(page, 1 << order);
            for (i = 0; i < (1 << order); i++)
                free_one_page(page_zone(page), page + i, page_to_pfn(page) + i, 0, MIGRATE_MOVABLE, FPI_NONE);
        }
        """) == set()
    got = run("""
        void release(struct page *page, unsigned int order)
        {
            split_page_memcg(page, 1 << order);
            while (order-- > 0)
                free_one_page(zone, page + (1 << order), pfn + (1 << order), order, mt, FPI_NONE);
        }
        """)
    assert got == {("introduced", "split_page_memcg(page, 1 << order) then free_one_page(..., order)", 52)}
