"""The package's public names are exactly its __all__ (httpx keeps its façade honest this way)."""

import reviewer


def test_all_matches_public_names() -> None:
    public = sorted(
        name
        for name, value in vars(reviewer).items()
        if not name.startswith("_") and getattr(value, "__module__", "").startswith("reviewer")
        and not isinstance(value, type(reviewer))
    )
    assert reviewer.__all__ == sorted(reviewer.__all__)
    assert set(public) <= set(reviewer.__all__)
    for name in reviewer.__all__:
        assert hasattr(reviewer, name), name
