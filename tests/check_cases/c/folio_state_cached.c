void folio_release(struct folio *folio)
{
	bool large = folio_test_large(folio);
	long nr = folio_nr_pages(folio);

	folio_put(folio);
	if (large)
		mod_stat(nr);
}
