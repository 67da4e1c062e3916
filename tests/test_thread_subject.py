"""Subject lines taken apart."""

from __future__ import annotations

import pytest

from reviewer.thread import parse_subject


@pytest.mark.parametrize(
    ("raw", "title", "prefixes", "version", "index", "total", "is_reply"),
    [
        ("Re: [PATCH RFC v2 3/7] mm: title", "mm: title", ("PATCH", "RFC"), 2, 3, 7, True),
        ("[PATCH v3 0/2] set memcg", "set memcg", ("PATCH",), 3, 0, 2, False),
        ("[RESEND PATCH] mm: x", "mm: x", ("RESEND", "PATCH"), 1, None, None, False),
        ("[PATCH 5.10 1/2] mm: y", "mm: y", ("PATCH", "5.10"), 1, 1, 2, False),
        ("Re: Re: [PATCH] z", "z", ("PATCH",), 1, None, None, True),
        ("AW: [PATCH v2] z", "z", ("PATCH",), 2, None, None, True),
        ("Fwd: [PATCH] z", "z", ("PATCH",), 1, None, None, False),
        ("RE: Fwd: Re: [patch v10 03/12] z", "z", ("PATCH",), 10, 3, 12, True),
        ("[PATCHv4 net-next 2/3] net: w", "net: w", ("PATCH", "NET-NEXT"), 4, 2, 3, False),
        ("[PATCH] [RFC] two groups", "two groups", ("PATCH", "RFC"), 1, None, None, False),
        ("Re: [PATCH] fix [thing] in title", "fix [thing] in title", ("PATCH",), 1, None, None, True),
        ("plain question", "plain question", (), 1, None, None, False),
        ("", "", (), 1, None, None, False),
    ],
)
def test_parse_subject(
    raw: str,
    title: str,
    prefixes: tuple[str, ...],
    version: int,
    index: int | None,
    total: int | None,
    is_reply: bool,
) -> None:
    s = parse_subject(raw)
    assert (s.title, s.prefixes, s.version, s.index, s.total, s.is_reply) == (
        title,
        prefixes,
        version,
        index,
        total,
        is_reply,
    )
    assert s.raw == raw


def test_is_patch() -> None:
    assert parse_subject("Re: [RFC] idea").is_patch
    assert not parse_subject("Re: question").is_patch
