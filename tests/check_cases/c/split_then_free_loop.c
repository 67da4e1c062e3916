static void free_chunk(struct page *page, unsigned int order)
{
	unsigned int i;

	split_page_memcg(page, 1 << order);	/* E: split-then-free-high-order */
	for (i = 1; i < order; i++)
		__free_pages(page + (1 << i), i);
}
