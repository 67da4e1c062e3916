"""Segments of crafted bodies: quote depth, diffs (full, bare, sketch), signatures, blank lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.model import SegmentKind
from reviewer.thread import segment_body
from reviewer.thread._segments import quote_depth

Q, N, D, S = SegmentKind.QUOTED, SegmentKind.NEW, SegmentKind.DIFF, SegmentKind.SIGNATURE


def shape(body: str) -> list[tuple[SegmentKind, int, int, int]]:
    return [(s.kind, s.depth, s.first_line, s.line_count) for s in segment_body(body)]


def test_quote_depth_is_tolerant() -> None:
    assert quote_depth("> > text") == (2, "text")
    assert quote_depth(">>text") == (2, "text")
    assert quote_depth(">  \tindented") == (1, " \tindented")
    assert quote_depth("> >From f6f0") == (1, "From f6f0")  # mboxrd artifact, not a level
    assert quote_depth("no quote") == (0, "no quote")


def test_blank_lines_join_runs_of_one_kind_only() -> None:
    body = "On Mon, A wrote:\n> one\n>\n> two\n\nreply\n\n> > deep\n>\n> > deeper\n\nend\n"
    assert shape(body) == [
        (N, 0, 0, 1),
        (Q, 1, 1, 3),
        (N, 0, 5, 1),
        (Q, 2, 7, 3),  # a depth-1 blank between depth-2 lines stays in the run
        (N, 0, 11, 1),
    ]
    segs = segment_body(body)
    assert segs[1].text == "one\n\ntwo"
    assert segs[3].text == "deep\n\ndeeper"


def test_formal_patch_shape() -> None:
    body = (
        "Commit message.\n\nSigned-off-by: A <a@x>\n---\n mm/a.c | 2 +-\n 1 file changed\n\n"
        "diff --git a/mm/a.c b/mm/a.c\nindex 1111111..2222222 100644\n--- a/mm/a.c\n+++ b/mm/a.c\n"
        "@@ -1,3 +1,3 @@\n int a;\n-int b;\n+int c;\n int d;\n-- \n2.30.1\n\n"
    )
    assert shape(body) == [(N, 0, 0, 6), (D, 0, 7, 9), (S, 0, 16, 2)]


def test_hunk_with_stripped_blank_context_line() -> None:
    body = "Try this:\n\n--- a/f.c\n+++ b/f.c\n@@ -1,4 +1,4 @@\n a\n\n-b\n+c\n d\n\nThoughts?\n"
    segs = segment_body(body)
    assert shape(body) == [(N, 0, 0, 1), (D, 0, 2, 8), (N, 0, 11, 1)]
    assert segs[1].text.endswith("+c\n d")


def test_bare_sketch_ends_at_blank_line_before_prose() -> None:
    # The header promises one more context line than the sketch has (a hand-edited hunk).
    body = "Like this?\n\n+++ b/mm/page_alloc.c\n@@ -10,3 +10,4 @@ void f(void)\n {\n+\tx();\n \ty();\n }\n\nWe can cache it.\n"
    assert shape(body) == [(N, 0, 0, 1), (D, 0, 2, 6), (N, 0, 9, 1)]


def test_hunk_with_more_lines_than_its_header_says() -> None:
    body = "+++ b/f.c\n@@ -1,1 +1,1 @@\n-a\n+b\n+c\n+d\n\ndone\n"
    assert shape(body) == [(D, 0, 0, 6), (N, 0, 7, 1)]


def test_not_diffs() -> None:
    body = "---\n- a bullet\n+ a plus\n--- just dashes\n+++ no hunk after\ntext\n"
    assert [k for k, *_ in shape(body)] == [N]


def test_quoted_diff_stays_quoted() -> None:
    body = "> diff --git a/x b/x\n> --- a/x\n> +++ b/x\n> @@ -1 +1 @@\n> -a\n> +b\n\nok\n"
    assert shape(body) == [(Q, 1, 0, 6), (N, 0, 7, 1)]


def test_signatures() -> None:
    assert shape("text\n\n-- \nName\nCompany\n") == [(N, 0, 0, 1), (S, 0, 2, 3)]
    # "--" without the space is only a signature when a git version follows.
    assert shape("a\n--\nb\n") == [(N, 0, 0, 3)]
    assert shape("a\n--\n2.31.0.rc2.261.g7f71774620-goog\n") == [(N, 0, 0, 1), (S, 0, 1, 2)]
    # Quoted text a mailer appended after the signature is quoted text again.
    assert shape("thanks,\n-- \nJohn\n\n> more quote\n") == [(N, 0, 0, 1), (S, 0, 1, 2), (Q, 1, 4, 1)]


def test_inline_patch_pseudo_header_is_new_text() -> None:
    body = (
        "Updated patch:\n\n---\n\nFrom 0123456789abcdef0123456789abcdef01234567 Mon Sep 17 00:00:00 2001\n"
        "From: A <a@x>\nSubject: [PATCH] x\n\nBody.\n\ndiff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"
    )
    # Blank lines between new-text lines join them: one NEW run up to the diff.
    assert shape(body) == [(N, 0, 0, 9), (D, 0, 10, 6)]


_LINE = st.sampled_from(
    ["", " ", "text", "> q", ">> qq", "> > qq", ">", "-- ", "--", "2.30.1", "diff --git a/x b/x",
     "--- a/x", "+++ b/x", "@@ -1,2 +1,2 @@", "@@ -1 +1 @@", " ctx", "-old", "+new", "\\ No newline",
     ">From x", "From x", "- bullet"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_LINE, max_size=40))
def test_segments_are_ordered_disjoint_and_trimmed(lines: list[str]) -> None:
    body = "\n".join(lines)
    all_lines = body.split("\n")
    end = 0
    for seg in segment_body(body):
        assert seg.first_line >= end and seg.line_count >= 1
        end = seg.first_line + seg.line_count
        assert end <= len(all_lines)
        assert len(seg.text.split("\n")) == seg.line_count
        if seg.kind is not D:  # a diff may end on a " " context line
            assert seg.text.split("\n")[0].strip() and seg.text.split("\n")[-1].strip()
        assert (seg.depth > 0) == (seg.kind is Q)
