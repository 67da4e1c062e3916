"""read-after-put: positive and negative cases written for the check (the seed is in test_checks_seed)."""

from __future__ import annotations

from check_cases.build import findings, make_case, summary

BASE = """
void drop(struct page *page)
{
    put_page(page);
}
"""


def run(post: str, pre: str = BASE) -> set[tuple[str, str, int]]:
    return summary(findings(make_case(pre, post, start=100), "read-after-put"))


def test_flag_test_after_plain_put_is_reported_with_both_lines() -> None:
    case = make_case(BASE, """
        void drop(struct page *page)
        {
            put_page(page);
            if (PageTail(page))
                pr_info("tail\\n");
        }
        """, start=100)
    (f,) = findings(case, "read-after-put")
    assert (f.status.value, f.line, f.function) == ("introduced", 103, "drop")
    assert f.key == "PageTail(page) after put_page(page)"
    assert f.evidence == ("mm/page_alloc.c:102: put_page(page);", "mm/page_alloc.c:103: if (PageTail(page))")
    assert "PageTail" in f.symbols and "put_page" in f.symbols


def test_value_cached_before_the_put_is_not_reported() -> None:
    assert run("""
        void drop(struct page *page)
        {
            bool head = PageHead(page);
            unsigned long memcg = page->memcg_data;
            put_page(page);
            if (head && memcg)
                pr_info("head\\n");
        }
        """) == set()


def test_true_branch_of_testzero_owns_the_page() -> None:
    # put_page_testzero() true: our put was the last one, nobody else can free the page.
    assert run("""
        void drop(struct page *page)
        {
            if (put_page_testzero(page)) {
                if (PageHead(page))
                    free_compound(page);
                return;
            }
        }
        """) == set()


def test_early_return_on_false_leaves_only_the_owning_path() -> None:
    assert run("""
        void drop(struct page *page)
        {
            if (!page_ref_dec_and_test(page))
                return;
            split_page_memcg(page, 1 << compound_order(page));
        }
        """) == set()


def test_false_branch_and_fallthrough_are_reported() -> None:
    got = run("""
        void drop(struct page *page, unsigned int order)
        {
            if (unlikely(folio_put_testzero(page)))
                free_it(page);
            else if (compound_order(page) > order)
                return;
            pr_info("%lx\\n", page->flags);
        }
        """)
    assert {key for _, key, _ in got} == {
        "compound_order(page) after folio_put_testzero(page)",
        "page->flags after folio_put_testzero(page)",
    }


def test_other_pages_and_writes_are_not_reads_of_the_put_page() -> None:
    assert run("""
        void drop(struct page *page, struct page *other)
        {
            put_page(page);
            other->memcg_data = 0;
            if (PageHead(other))
                free_the_page(page + 1, 0);
        }
        """) == set()


def test_put_in_one_iteration_reaches_the_read_in_the_next() -> None:
    got = run("""
        void drain(struct page *page, int n)
        {
            while (n--) {
                if (PageLRU(page))
                    n = 0;
                folio_put(page);
            }
        }
        """)
    assert got == {("introduced", "PageLRU(page) after folio_put(page)", 103)}


def test_read_kept_from_the_base_is_pre_existing_and_removed_read_is_fixed() -> None:
    racy = """
        void drop(struct page *page)
        {
            if (!put_page_testzero(page) && PageHead(page))
                pr_info("head\\n");
        }
        """
    assert run(racy + "\n", pre=racy) == {("pre-existing", "PageHead(page) after put_page_testzero(page)", 102)}
    assert run(BASE, pre=racy) == {("fixed", "PageHead(page) after put_page_testzero(page)", 102)}


def test_partial_image_with_gaps_is_not_analysed() -> None:
    # A synthetic base's image with unknown lines inside (here a lost closing brace).
    gappy = """
        void drop(struct page *page)
        {
            put_page(page);
            if (PageTail(page)) {
                pr_info("tail\\n");
        }
        """
    assert findings(make_case(BASE, gappy, complete=False), "read-after-put") == ()
    assert len(findings(make_case(BASE, gappy, complete=True), "read-after-put")) == 1


def test_put_before_continue_reaches_the_read_in_the_next_iteration() -> None:
    """``continue`` goes back to the loop head (also from inside a switch), not past the loop."""
    got = run("""
        void drop(struct page *page, int n)
        {
            int i;

            for (i = 0; i < n; i++) {
                if (PageHead(page))
                    pr_info("head\\n");
                if (i == 1) {
                    put_page(page);
                    continue;
                }
            }
        }
        """)
    assert got == {("introduced", "PageHead(page) after put_page(page)", 105)}
    got = run("""
        void drop(struct page *page, int n)
        {
            int i;

            for (i = 0; i < n; i++) {
                if (PageHead(page))
                    pr_info("head\\n");
                switch (i) {
                case 1:
                    put_page(page);
                    continue;
                default:
                    break;
                }
            }
        }
        """)
    assert got == {("introduced", "PageHead(page) after put_page(page)", 105)}


def test_put_before_a_backward_goto_reaches_the_read_after_its_label() -> None:
    """``goto retry`` to a label above it is a loop: the put reaches the read after the label."""
    got = run("""
        void drop(struct page *page)
        {
        retry:
            if (PageHead(page))
                pr_info("head\\n");
            if (!put_page_testzero(page))
                goto retry;
        }
        """)
    assert got == {("introduced", "PageHead(page) after put_page_testzero(page)", 103)}
