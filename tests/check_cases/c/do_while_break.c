void drain_list(struct page *page, int n)
{
	do {
		if (folio_ref_dec_and_test(page))
			break;
		n--;
	} while (n > 0 && !PageReserved(page));	/* E: read-after-put */
}
