"""Comment splitting and anchoring: on the real seed thread, and on small hand-made replies with
whitespace damage, re-wrapping and trimmed context."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.model import Address, Comment, Message, Revision, RevisionKind, Subject, Thread
from reviewer.revisions import find_revisions
from reviewer.verdicts import split_comments

WHEN = datetime(2021, 3, 19, 7, 0, tzinfo=UTC)
LATER = datetime(2021, 3, 20, 7, 0, tzinfo=UTC)
NAK_MESSAGE = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"
HUGH = Address("Hugh Dickins", "hughd@google.com")
HANNES = Address("Johannes Weiner", "hannes@cmpxchg.org")

DIFF = """\
diff --git a/mm/page_alloc.c b/mm/page_alloc.c
--- a/mm/page_alloc.c
+++ b/mm/page_alloc.c
@@ -5124,11 +5123,14 @@ static inline void free_the_page(struct page *page, unsigned int order)
 */
 void __free_pages(struct page *page, unsigned int order)
 {
-\tif (put_page_testzero(page))
+\tif (likely(put_page_testzero(page))) {
 \t\tfree_the_page(page, order);
-\telse if (!PageHead(page))
+\t\treturn;
+\t}
+
+\tif (!PageHead(page) && order > 0) {
+\t\tsplit_page_memcg(page, 1 << order);
 \t\twhile (order-- > 0)
 \t\t\tfree_the_page(page + (1 << order), order);
+\t}
 }
"""


def _comments_of(thread: Thread, author: str) -> list[Comment]:
    return [c for c in split_comments(thread, find_revisions(thread)) if c.author.name == author]


def _tiny_thread(reply_body: str) -> tuple[Thread, Revision]:
    patch_body = "When the freeing of a higher-order page block races with a lookup.\n\n---\n" + DIFF
    root = Message("patch@x", Subject("[PATCH] mm: fix", "mm: fix", ("PATCH",)), HANNES, WHEN, patch_body, children=("reply@x",))
    reply = Message(
        "reply@x", Subject("Re: [PATCH] mm: fix", "mm: fix", ("PATCH",), is_reply=True), HUGH, LATER, reply_body,
        in_reply_to="patch@x", parent="patch@x",
    )
    rev = Revision("r1", "v1", RevisionKind.FORMAL, HANNES, WHEN, "patch@x", "mm: fix",
                   "When the freeing of a higher-order page block races with a lookup.", (), DIFF, diff_first_line=3)
    return Thread("patch@x", (root, reply)), rev


def test_hugh_20_march_anchors_to_the_pagehead_line_of_v1(seed_fixture_thread: Thread) -> None:
    v1 = find_revisions(seed_fixture_thread)[0]
    comment = next(c for c in _comments_of(seed_fixture_thread, "Hugh Dickins") if c.text.startswith("The put_page_testzero()"))
    assert comment.anchor_revision == v1.id
    assert comment.anchor_file == "mm/page_alloc.c"
    assert comment.anchor_line == 5148  # post-image line of "+\tif (!PageHead(page) && order > 0) {"
    assert "PageHead" in comment.quoted.split("\n")[-1]
    assert "doubly free" in comment.text


def test_every_reply_of_every_reviewer_is_kept(seed_fixture_thread: Thread) -> None:
    comments = split_comments(seed_fixture_thread, find_revisions(seed_fixture_thread))
    replies = {m.message_id for m in seed_fixture_thread.messages if m.message_id != seed_fixture_thread.root}
    # every reply that says something of its own has at least one comment (Hugh wrote five)
    assert {c.message_id for c in comments} == replies
    hugh_messages = {c.message_id for c in comments if c.author.name == "Hugh Dickins"}
    assert len(hugh_messages) == 4
    # the patch posting and the inline v2's own commit message are not comments
    assert not any(c.message_id == seed_fixture_thread.root for c in comments)
    assert not any("There are currently two problems with it" in c.text for c in comments)
    # nor are attribution lines and bare sign-offs
    assert not any(c.text.strip() in ("Hugh", "") or c.text.rstrip().endswith("wrote:") for c in comments)


def test_commit_message_and_trailer_quotes_anchor_to_the_revision_message(seed_fixture_thread: Thread) -> None:
    _v1, v2, _sketch = find_revisions(seed_fixture_thread)
    whoops = next(c for c in _comments_of(seed_fixture_thread, "Hugh Dickins") if c.text.startswith("Whoops"))
    assert whoops.anchor_revision == v2.id
    assert (whoops.anchor_file, whoops.anchor_line) == (None, None)
    assert "commit message" in whoops.anchor_why
    assert whoops.quoted.split("\n")[-1].endswith("fix freeing non-compound pages")


def test_prose_reply_anchors_to_the_nearest_revision_above(seed_fixture_thread: Thread) -> None:
    _v1, v2, _sketch = find_revisions(seed_fixture_thread)
    nak = [c for c in _comments_of(seed_fixture_thread, "Hugh Dickins") if c.message_id == NAK_MESSAGE]
    first = next(c for c in nak if "renege and say NAK" in c.text)
    reason = next(c for c in nak if c.text.startswith("The first reason"))
    assert first.anchor_revision == v2.id and "replies to the message carrying v2" in first.anchor_why
    # later paragraphs of the run share the anchor but not the quoted lines
    assert reason.anchor_revision == v2.id and reason.quoted == ""
    assert reason.first_line > first.first_line


def test_sketch_comment_anchors_to_its_own_diff(seed_fixture_thread: Thread) -> None:
    sketch = find_revisions(seed_fixture_thread)[2]
    after = next(c for c in _comments_of(seed_fixture_thread, "Matthew Wilcox") if c.text.startswith("We can cache page->memcg_data"))
    assert after.anchor_revision == sketch.id
    assert after.anchor_file == "mm/page_alloc.c"
    assert "proposed in this message" in after.anchor_why


def test_whitespace_damage_and_rewrapping_still_anchor() -> None:
    # tabs turned to spaces, context lines lost their leading space, a long line re-wrapped
    body = (
        "On Fri, 19 Mar 2021, Johannes Weiner wrote:\n"
        ">  void __free_pages(struct page *page, unsigned int order)\n"
        "> {\n"
        "> -    if (put_page_testzero(page))\n"
        "> +    if (likely(put_page_testzero(page)))\n"
        "> {\n"
        ">          free_the_page(page, order);\n"
        "\n"
        "Why likely()?\n"
    )
    thread, rev = _tiny_thread(body)
    (comment,) = split_comments(thread, [rev])
    assert comment.text == "Why likely()?"
    assert comment.anchor_revision == "r1"
    assert (comment.anchor_file, comment.anchor_line) == ("mm/page_alloc.c", 5127)
    assert "free_the_page(page, order)" in comment.anchor_why


def test_trimmed_context_anchors_to_the_last_quoted_line_and_minus_lines_use_the_pre_image() -> None:
    body = "> -\telse if (!PageHead(page))\n\nThis was the racy test.\n\n> +\t\tsplit_page_memcg(page, 1 << order);\n\nAnd this.\n"
    thread, rev = _tiny_thread(body)
    first, second = split_comments(thread, [rev])
    assert (first.anchor_file, first.anchor_line) == ("mm/page_alloc.c", 5129)  # pre-image line
    assert (second.anchor_file, second.anchor_line) == ("mm/page_alloc.c", 5132)


def test_short_quoted_lines_alone_do_not_anchor_to_a_diff() -> None:
    body = "> }\n> return;\n\nThanks, applied.\n"
    thread, rev = _tiny_thread(body)
    (comment,) = split_comments(thread, [rev])
    # nothing quoted identifies the diff: it anchors as a prose reply to the patch it answers
    assert comment.anchor_revision == "r1"
    assert comment.anchor_file is None
    assert "replies to the message carrying v1" in comment.anchor_why


_DIFF_LINES = [line for line in DIFF.split("\n")[4:] if line]
# (index in _DIFF_LINES, post-image line or pre-image line for "-" lines), counted by hand from the hunk
_EXPECTED = {0: 5123, 1: 5124, 2: 5125, 3: 5127, 4: 5126, 5: 5127, 6: 5129, 7: 5128, 8: 5129,
             10: 5131, 11: 5132, 12: 5133, 13: 5134, 14: 5135, 15: 5136}


@settings(max_examples=60, deadline=None)
@given(
    last=st.sampled_from(sorted(k for k in _EXPECTED if len(" ".join(_DIFF_LINES[k][1:].split())) >= 10)),
    span=st.integers(min_value=1, max_value=4),
    tab_width=st.sampled_from([1, 2, 4, 8]),
    drop_context_space=st.booleans(),
    depth=st.integers(min_value=1, max_value=3),
)
def test_anchoring_survives_whitespace_damage(last: int, span: int, tab_width: int, drop_context_space: bool, depth: int) -> None:
    quoted = []
    for line in _DIFF_LINES[max(0, last - span + 1) : last + 1]:
        damaged = line.replace("\t", " " * tab_width)
        if drop_context_space and damaged.startswith(" "):
            damaged = damaged[1:]
        quoted.append("> " * depth + damaged)
    thread, rev = _tiny_thread("\n".join(quoted) + "\n\nA remark.\n")
    (comment,) = split_comments(thread, [rev])
    assert (comment.anchor_file, comment.anchor_line) == ("mm/page_alloc.c", _EXPECTED[last])


@pytest.mark.real_data
def test_other_corpus_threads_anchor_to_their_own_revisions() -> None:
    from _thread_corpus import corpus_messages

    from reviewer.thread import build_thread

    gup = build_thread(corpus_messages("gup-try-grab-compound-head-race-v2.mbox"), mboxrd=True)
    (v2,) = find_revisions(gup)
    comments = split_comments(gup, [v2])
    dang = next(c for c in comments if c.text.startswith("Well dang those ifdefs"))
    assert (dang.anchor_revision, dang.anchor_file, dang.anchor_line) == (v2.id, "mm/gup.c", 53)
    assert dang.quoted.endswith("> +#endif")  # a short line, anchored by the line above it

    memcg = build_thread(corpus_messages("split-page-memcg-v2.mbox"), mboxrd=True)
    revisions = find_revisions(memcg)
    typo = next(c for c in split_comments(memcg, revisions) if c.text.startswith("s/fisrt/first/"))
    assert typo.anchor_revision == revisions[0].id and typo.anchor_file is None
    assert "commit message" in typo.anchor_why
