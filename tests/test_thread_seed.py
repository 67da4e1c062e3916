"""The seed thread and the other corpus threads, built.

The seed tests read fixtures/seed.mbox: the corpus copy's 12 bodies verbatim plus one synthetic
ack (fixtures/README.md). That the fixture is the corpus copy plus that ack is itself checked
against ../shared (real data), as are the other corpus threads.
"""

from __future__ import annotations

import pytest
from _revision_threads import corpus_thread
from _thread_corpus import corpus_messages

from reviewer.model import SegmentKind, Stance, Thread
from reviewer.thread import build_thread

ROOT = "20210319071547.60973-1-hannes@cmpxchg.org"
WILLY_19 = "20210319132137.GZ3420@casper.infradead.org"
HUGH_20 = "alpine.LSU.2.11.2103191814040.1043@eggly.anvils"
WILLY_20 = "20210320032556.GD3420@casper.infradead.org"
MICHAL_22 = "YFhpkrK7MZ1mDQhi@dhcp22.suse.cz"
HANNES_23 = "YFo7SOni0s0TbXUm@cmpxchg.org"
WILLY_23 = "20210323191207.GJ1719932@casper.infradead.org"
HUGH_23 = "alpine.LSU.2.11.2103231310020.5513@eggly.anvils"
HUGH_25 = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"
WILLY_26A = "20210326025143.GB1719932@casper.infradead.org"
HUGH_26 = "alpine.LSU.2.11.2103252018170.13067@eggly.anvils"
WILLY_26B = "20210326120744.GD1719932@casper.infradead.org"
MICHAL_25 = "seed-synthetic-20210325015849-mhocko@reviewer.invalid"

# Parent of each message, read off the raw In-Reply-To headers (the last: the fixture's own ack).
PARENTS = {
    ROOT: None,
    WILLY_19: ROOT,
    HUGH_20: ROOT,
    WILLY_20: HUGH_20,
    MICHAL_22: ROOT,
    HANNES_23: HUGH_20,
    WILLY_23: HANNES_23,
    HUGH_23: HANNES_23,
    HUGH_25: HUGH_23,
    WILLY_26A: HUGH_25,
    HUGH_26: WILLY_26A,
    WILLY_26B: HUGH_26,
    MICHAL_25: HANNES_23,
}


def test_seed_tree_shape(seed_fixture_thread: Thread) -> None:
    t = seed_fixture_thread
    assert t.root == ROOT
    assert len(t.messages) == 13
    assert {m.message_id: m.parent for m in t.messages} == PARENTS
    assert t[ROOT].children == (WILLY_19, HUGH_20, MICHAL_22)
    assert t[HANNES_23].children == (WILLY_23, HUGH_23, MICHAL_25)
    dates = [m.date for m in t.messages]
    assert dates == sorted(dates)
    # Hugh's 25 Mar 21:04 -0700 is 26 Mar 04:04 UTC: after Willy's 02:51 UTC reply.
    ids = [m.message_id for m in t.messages]
    assert ids.index(WILLY_26A) < ids.index(HUGH_26)
    assert all(m.date_source == "header" and m.date.tzinfo is not None for m in t.messages)


def test_seed_subjects(seed_fixture_thread: Thread) -> None:
    root = seed_fixture_thread[ROOT].subject
    assert root.prefixes == ("PATCH",) and root.version == 1 and not root.is_reply
    assert root.title == "mm: page_alloc: fix memcg accounting leak in speculative cache lookup"
    reply = seed_fixture_thread[HANNES_23].subject
    assert reply.is_reply and reply.title == root.title  # folded header unfolded


def test_hugh_20_mar_segments(seed_fixture_thread: Thread) -> None:
    msg = seed_fixture_thread[HUGH_20]
    kinds = [s.kind for s in msg.segments]
    assert kinds[:3] == [SegmentKind.NEW, SegmentKind.QUOTED, SegmentKind.NEW]
    quoted = [s for s in msg.segments if s.kind is SegmentKind.QUOTED]
    assert all(s.depth == 1 and s.quotes == ROOT for s in quoted)
    # The doubt about PageHead is new text right under the quoted line it is about.
    head_check = next(s for s in quoted if s.text.rstrip().endswith("if (!PageHead(page) && order > 0) {"))
    after = msg.segments[msg.segments.index(head_check) + 1]
    assert after.kind is SegmentKind.NEW
    assert after.text.startswith("The put_page_testzero() has released our reference")
    assert msg.lines[after.first_line] == after.text.split("\n")[0]


def test_depth_two_quotes_point_at_the_grandparent(seed_fixture_thread: Thread) -> None:
    hannes = seed_fixture_thread[HANNES_23]
    by_depth = {(s.depth, s.quotes) for s in hannes.segments if s.kind is SegmentKind.QUOTED}
    assert by_depth == {(1, HUGH_20), (2, ROOT)}
    hugh_ack = next(s for s in hannes.segments if s.text.startswith("Acked-by: Hugh Dickins"))
    assert hugh_ack.kind is SegmentKind.QUOTED and hugh_ack.depth == 1 and hugh_ack.quotes == HUGH_20
    # Hugh's NAK quotes his own ack (depth 1) and the inline v2 (depth 2).
    nak = seed_fixture_thread[HUGH_25]
    pairs = {(s.depth, s.quotes) for s in nak.segments if s.kind is SegmentKind.QUOTED}
    assert pairs == {(1, HUGH_23), (2, HANNES_23)}


def test_sketch_is_a_diff_segment(seed_fixture_thread: Thread) -> None:
    msg = seed_fixture_thread[WILLY_26A]
    diffs = [s for s in msg.segments if s.kind is SegmentKind.DIFF]
    assert len(diffs) == 1
    lines = diffs[0].text.split("\n")
    assert lines[0] == "+++ b/mm/page_alloc.c"
    assert lines[1].startswith("@@ -5081,9 +5081,15 @@")
    assert lines[-1] == " EXPORT_SYMBOL(__free_pages);"
    follow = msg.segments[msg.segments.index(diffs[0]) + 1]
    assert follow.kind is SegmentKind.NEW and follow.text.startswith("We can cache page->memcg_data")


def test_patch_and_inline_patch_segments(seed_fixture_thread: Thread) -> None:
    root = seed_fixture_thread[ROOT]
    assert [s.kind for s in root.segments] == [SegmentKind.NEW, SegmentKind.DIFF, SegmentKind.SIGNATURE]
    assert root.segments[2].text == "-- \n2.30.1"
    hannes = seed_fixture_thread[HANNES_23]
    diff = next(s for s in hannes.segments if s.kind is SegmentKind.DIFF)
    assert diff.text.startswith("diff --git a/mm/page_alloc.c")
    assert "+\tbool compound = PageHead(page);" in diff.text
    # The mboxrd-escaped pseudo-header is undone and stays new text for the revision finder.
    assert "From f6f062a3ec46f4fb083dcf6792fde9723f18cfc5 Mon Sep 17 00:00:00 2001" in hannes.lines
    pseudo = hannes.lines.index("From f6f062a3ec46f4fb083dcf6792fde9723f18cfc5 Mon Sep 17 00:00:00 2001")
    new = next(s for s in hannes.segments if s.first_line <= pseudo < s.first_line + s.line_count)
    assert new.kind is SegmentKind.NEW


def test_trailers(seed_fixture_thread: Thread) -> None:
    root = seed_fixture_thread[ROOT]
    assert [(t.name, t.person.email if t.person else None) for t in root.trailers] == [
        ("Reported-by", "willy@infradead.org"),
        ("Signed-off-by", "hannes@cmpxchg.org"),
    ]
    hugh = seed_fixture_thread[HUGH_20]
    # Quoted Reported-by/Signed-off-by are the patch author's, not Hugh's.
    assert [t.name for t in hugh.trailers] == ["Acked-by"]
    ack = hugh.trailers[0]
    assert ack.person is not None and ack.person.email == "hughd@google.com"
    assert ack.comment.startswith("to the split_page_memcg() addition etc, but a doubt just hit me")
    assert ack.comment.endswith("see comment below.")
    inline = {t.name: t for t in seed_fixture_thread[HANNES_23].trailers}
    assert inline["Fixes"].value.startswith("e320d3012d25")
    assert inline["Cc"].person is not None and inline["Cc"].person.email == "stable@vger.kernel.org"
    willy = seed_fixture_thread[WILLY_23].trailers
    assert [(t.name, t.person.name if t.person else "") for t in willy] == [
        ("Reviewed-by", "Matthew Wilcox (Oracle)")
    ]
    assert seed_fixture_thread[HUGH_23].trailers[0].comment == ""  # "I know that ..." is a new sentence


def _standing(thread: Thread) -> dict[str, list[tuple[Stance, str | None]]]:
    return {
        email: [(p.stance, p.answers) for p in ps] for email, ps in thread.standing_positions().items()
    }


def test_seed_positions(seed_fixture_thread: Thread) -> None:
    t = seed_fixture_thread
    assert _standing(t) == {
        "mhocko@suse.com": [(Stance.ACK, ROOT), (Stance.ACK, HANNES_23)],
        "willy@infradead.org": [(Stance.REVIEW, HANNES_23)],
        "hughd@google.com": [(Stance.NAK, HANNES_23)],
    }
    hugh = [p for p in t.positions() if p.person.email == "hughd@google.com"]
    assert [(p.stance, p.message_id, p.answers, p.withdrawn_by) for p in hugh] == [
        (Stance.ACK, HUGH_20, ROOT, HUGH_25),
        (Stance.ACK, HUGH_23, HANNES_23, HUGH_25),
        (Stance.NAK, HUGH_25, HANNES_23, None),
    ]
    assert hugh[0].qualifier.startswith("to the split_page_memcg() addition")
    nak = hugh[2]
    assert "I renege and say NAK" in nak.evidence
    assert "looks to me like NAK to this patch" in nak.evidence
    # Quoted NAKs (Willy and Hugh quoting Hugh) are nobody's new position.
    assert t[WILLY_26A].positions == () and t[HUGH_26].positions == ()


def test_fixture_adds_michal_ack_of_v2(seed_fixture_thread: Thread) -> None:
    t = seed_fixture_thread
    michal = t.standing_positions()["mhocko@suse.com"]
    assert [(p.stance, p.message_id, p.answers) for p in michal] == [
        (Stance.ACK, MICHAL_22, ROOT),
        (Stance.ACK, MICHAL_25, HANNES_23),
    ]
    # The quoted ">From" escape artifact is not a second quote level.
    quoted = [s for s in t[MICHAL_25].segments if s.kind is SegmentKind.QUOTED]
    assert quoted[0].depth == 1 and quoted[0].text.startswith("From f6f062a3")
    assert quoted[0].quotes == HANNES_23


@pytest.mark.real_data
def test_fixture_is_the_corpus_copy_plus_one_ack(seed_fixture_thread: Thread) -> None:
    """What the fixture-based tests above stand for: the corpus thread, read the same way."""
    corpus_copy = corpus_thread("seed-thread.mbox")
    corpus = {m.message_id: m for m in corpus_copy.messages}
    fixture = {m.message_id: m for m in seed_fixture_thread.messages}
    assert set(fixture) - set(corpus) == {MICHAL_25} and set(corpus) <= set(fixture)
    for msgid, m in corpus.items():
        f = fixture[msgid]
        assert (f.body, f.subject, f.author, f.date, f.parent) == (m.body, m.subject, m.author,
                                                                    m.date, m.parent), msgid
        assert (f.segments, f.trailers, f.positions) == (m.segments, m.trailers, m.positions), msgid
    assert corpus_copy.root == seed_fixture_thread.root == ROOT


@pytest.mark.parametrize(
    ("name", "count", "root"),
    [
        ("split-page-memcg-v2.mbox", 14, "20210304074053.65527-1-zhouguanghui1@huawei.com"),
        ("gup-try-grab-compound-head-race-v2.mbox", 9, "20210615012014.1100672-1-jannh@google.com"),
    ],
)
@pytest.mark.real_data
def test_other_corpus_threads_build(name: str, count: int, root: str) -> None:
    t = build_thread(corpus_messages(name), source=name, mboxrd=True)
    assert len(t.messages) == count and t.root == root
    assert sum(1 for m in t.messages if m.parent is None) == 1
    for m in t.messages:
        covered = sum(s.line_count for s in m.segments)
        assert 0 < covered <= len(m.lines), m.message_id


@pytest.mark.real_data
def test_multipart_signed_reply() -> None:
    t = build_thread(corpus_messages("split-page-memcg-v2.mbox"), mboxrd=True)
    zi = t["30B45037-03C7-4211-B772-78CB5E349303@nvidia.com"]
    assert zi.body.startswith("On 4 Mar 2021, at 2:40, Zhou Guanghui wrote:")
    assert "BEGIN PGP SIGNATURE" not in zi.body
    assert "=E2=80=94" not in zi.body and "\u2014" in zi.body  # quoted-printable decoded
    assert [(p.stance, p.person.email) for p in zi.positions] == [(Stance.REVIEW, "ziy@nvidia.com")]
    assert zi.positions[0].answers == "20210304074053.65527-3-zhouguanghui1@huawei.com"


@pytest.mark.real_data
def test_signature_stops_at_quoted_text_after_it() -> None:
    t = build_thread(corpus_messages("gup-try-grab-compound-head-race-v2.mbox"), mboxrd=True)
    john = t["50d828d1-2ce6-21b4-0e27-fb15daa77561@nvidia.com"]
    sig = next(s for s in john.segments if s.kind is SegmentKind.SIGNATURE)
    assert sig.text == "-- \nJohn Hubbard\nNVIDIA"
    assert john.segments[-1].kind is SegmentKind.QUOTED
