int drop_ref(struct page *page, int mode)
{
	if (!put_page_testzero(page))
		goto out;
	free_the_page(page, 0);
	return 1;
out:
	return PageLRU(page);	/* E: read-after-put */
}
