void put_list(struct page *page, struct page *next)
{
	put_page(page);
	page = next;
	if (PageHead(page))
		return;
	put_page(page);
	{
		struct page *page = next + 1;

		SetPageDirty(page);
	}
	pr_info("%d\n", PageTail(page));	/* E: read-after-put */
}
