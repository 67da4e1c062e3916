int put_by_mode(struct page *page, int mode)
{
	switch (mode) {
	case 0:
		return page->mapping != NULL;
	case 1:
		put_page(page);
		break;
	default:
		return 0;
	}
	return page_count(page);	/* E: read-after-put */
}
