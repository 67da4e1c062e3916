void free_tail_blocks(struct page *page, unsigned int order)
{
	if (page_ref_dec_and_test(page))
		return;
	while (order-- > 0) {
		struct page *tail = page + (1 << order);
#ifdef CONFIG_MEMCG
		tail->memcg_data = page->memcg_data;	/* E: read-after-put */
#endif
		free_the_page(tail, order);
	}
}
