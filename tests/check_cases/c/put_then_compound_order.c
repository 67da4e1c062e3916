static void release_pages_batch(struct page *page)
{
	put_page(page);
	if (compound_order(page) > 0)	/* E: read-after-put */
		count_vm_event(THP_FREE);
}
