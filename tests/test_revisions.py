"""Revision finding on the real corpus threads, plus the normalised-id and range-diff rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import unidiff
from _revision_threads import corpus_thread
from hypothesis import given, settings
from hypothesis import strategies as st

from reviewer.model import RevisionKind, Thread
from reviewer.revisions import (
    diff_id,
    file_diffs,
    find_revisions,
    patch_text,
    range_diff_summary,
    scan_diffs,
)


def test_seed_has_exactly_three_revisions_with_reviewer_labels(seed_thread: Thread) -> None:
    revisions = find_revisions(seed_thread)
    assert [r.label for r in revisions] == [
        "v1",
        "v2 (inline, 23 Mar)",
        "sketch by Matthew Wilcox, 26 Mar",
    ]
    assert [r.kind for r in revisions] == [
        RevisionKind.FORMAL,
        RevisionKind.INLINE,
        RevisionKind.SKETCH,
    ]
    assert [r.version for r in revisions] == [1, 2, None]
    v1, v2, sketch = revisions
    assert v2.supersedes == v1.id and sketch.supersedes == v2.id and v1.supersedes is None
    assert len({r.id for r in revisions}) == 3


def test_inline_v2_takes_its_in_body_headers_and_trailers(seed_thread: Thread) -> None:
    v2 = find_revisions(seed_thread)[1]
    carrier = seed_thread[v2.message_id]
    assert carrier.date.day == 23 and v2.date.day == 19  # in-body Date overrides the mail's
    assert v2.title == "mm: page_alloc: fix allocation imbalances from speculative cache lookup"
    assert v2.author.email == "hannes@cmpxchg.org"
    assert v2.commit_message.startswith("When the freeing of a higher-order page block")
    names = [t.name for t in v2.trailers]
    assert names == ["Fixes", "Reported-by", "Reported-by", "Signed-off-by", "Cc"]
    assert v2.trailers[0].value.startswith("e320d3012d25")
    assert carrier.lines[v2.trailers[0].line].startswith("Fixes: e320d3012d25")
    assert v2.base_hints.blobs[0].pre == "c53fe4fa10bf"
    assert carrier.lines[v2.diff_first_line].startswith("diff --git a/mm/page_alloc.c")


def test_sketch_is_found_without_a_minus_line_and_parses(seed_thread: Thread) -> None:
    sketch = find_revisions(seed_thread)[2]
    assert sketch.author.display == "Matthew Wilcox"
    assert sketch.date.day == 26
    carrier = seed_thread[sketch.message_id]
    assert carrier.lines[sketch.diff_first_line] == "+++ b/mm/page_alloc.c"
    (posted,) = scan_diffs(carrier.lines)
    assert posted.synthesised_headers  # the mail has no "--- a/..." line
    (f,) = file_diffs(sketch)
    assert f.hunks[0].old_start == 5081 and f.hunks[0].complete
    # The header the mail lacked is completed, so the diff parses as posted otherwise.
    patch = unidiff.PatchSet(sketch.diff)
    assert patch[0].path == "mm/page_alloc.c" and patch[0].added == 9 and patch[0].removed == 3
    assert unidiff.PatchSet(patch_text(sketch))[0].added == 9
    # The "+extern inline" lines quoted from history have no @@ header: not part of the sketch.
    assert "extern inline" not in sketch.diff


def test_quoted_copies_add_no_revision(seed_thread: Thread) -> None:
    v1 = find_revisions(seed_thread)[0]
    root = seed_thread[v1.message_id]
    quoted = "\n".join(
        ["On Fri, Johannes wrote:", *(f"> {line}" for line in root.lines), "", "Nice."]
    )
    reply = replace(
        root,
        message_id="quoting-copy@example.invalid",
        subject=replace(root.subject, is_reply=True),
        body=quoted,
        date=root.date + timedelta(hours=1),
    )
    thread = replace(seed_thread, messages=(*seed_thread.messages, reply))
    assert [r.id for r in find_revisions(thread)] == [r.id for r in find_revisions(seed_thread)]
    # A verbatim repost (same normalised diff) is the same revision, not a new one.
    repost = replace(reply, message_id="repost@example.invalid", body=root.body)
    thread = replace(seed_thread, messages=(*seed_thread.messages, repost))
    assert len(find_revisions(thread)) == 3


@pytest.mark.real_data
def test_split_page_thread_gives_patch_and_reviewer_diffs() -> None:
    thread = corpus_thread("split-page-memcg-v2.mbox")
    revisions = find_revisions(thread)
    assert [r.label for r in revisions] == [
        "v2 2/2",
        "sketch by Matthew Wilcox, 8 Mar",
        "sketch by Michal Hocko, 9 Mar",
        "sketch by Michal Hocko, 9 Mar #2",
    ]
    patch, willy, michal1, michal2 = revisions
    assert (patch.series_index, patch.series_total, patch.version) == (2, 2, 2)
    assert [b.path for b in michal1.base_hints.blobs] == ["mm/memcontrol.c"]
    # Michal's updated version replaces his first one; his first replaces the posted patch.
    assert michal2.supersedes == michal1.id and michal1.supersedes == patch.id
    assert willy.supersedes == patch.id
    # Wilcox proposed the same __free_pages change in both threads: same normalised id.
    seed_sketch = find_revisions(corpus_thread("seed-thread.mbox"))[2]
    assert willy.id == seed_sketch.id


@pytest.mark.real_data
def test_gup_quoted_printable_patch_is_decoded_with_base_commit() -> None:
    (revision,) = find_revisions(corpus_thread("gup-try-grab-compound-head-race-v2.mbox"))
    assert revision.label == "v2" and revision.kind is RevisionKind.FORMAL
    assert revision.base_hints.base_commit == "614124bea77e452aa6df7a8714e8bc820b489922"
    (f,) = file_diffs(revision)
    assert f.path == "mm/gup.c" and len(f.hunks) == 4 and all(h.complete for h in f.hunks)
    assert f.hunks[0].section.startswith("static void hpage_pincount_sub(struct page *page, int re")
    assert "=\n" not in revision.diff  # no quoted-printable soft breaks left
    assert any(t.name == "Fixes" for t in revision.trailers)


def _diff(body: str) -> list[str]:
    return body.strip("\n").split("\n")


BASE_DIFF = """
--- a/f.c
+++ b/f.c
@@ -10,3 +10,3 @@ int f(void)
 {
-\treturn 1;
+\treturn 2;
 }
"""


def test_normalised_id_ignores_mail_damage_and_line_numbers_not_code() -> None:
    original = diff_id(scan_diffs(_diff(BASE_DIFF)))
    damaged = BASE_DIFF.replace("-\treturn 1;", "-        return 1;  ").replace(
        "@@ -10,3 +10,3 @@", "@@ -99,3 +99,3 @@"
    )
    with_index = "diff --git a/f.c b/f.c\nindex 1111111..2222222 100644" + BASE_DIFF
    changed = BASE_DIFF.replace("return 2;", "return 3;")
    assert diff_id(scan_diffs(_diff(damaged))) == original
    assert diff_id(scan_diffs(_diff(with_index))) == original
    assert diff_id(scan_diffs(_diff(changed))) != original


def test_scan_repairs_lost_context_spaces_and_stops_at_prose() -> None:
    body = (
        "Try this:\n\n" + BASE_DIFF.replace(" {\n", "\n").replace(" }\n", "\t}\n") + "\nThanks.\n"
    )
    (f,) = scan_diffs(body.split("\n"))
    assert f.hunks[0].lines == (" ", "-\treturn 1;", "+\treturn 2;", " \t}")
    assert f.hunks[0].complete
    truncated = scan_diffs(_diff(BASE_DIFF)[:-2] + ["Thanks."])
    assert not truncated[0].hunks[0].complete


def test_range_diff_summary_without_trees_diffs_the_normalised_diffs(seed_thread: Thread) -> None:
    v1, v2, _ = find_revisions(seed_thread)
    summary = range_diff_summary(v1, v2)
    assert summary.startswith("vs v1: mm/page_alloc.c; diff-of-diffs +")
    assert summary.endswith("(normalised diffs)")
    assert range_diff_summary(v1, v1) == "vs v1: same diff"


def test_scan_skips_headerless_hunks_and_odd_at_lines() -> None:
    body = ["@@ -1,2 +1,2 @@", " a", "-b", "+c", "@@ not a hunk", "+++ b/x.c", "@@ odd", "text"]
    assert scan_diffs(body) == []


_LINE = st.one_of(
    st.sampled_from(
        [
            "diff --git a/x.c b/x.c",
            "--- a/x.c",
            "+++ b/x.c",
            "@@ -1,2 +1,2 @@",
            "@@ -3 +3,0 @@",
            "-- ",
            "",
        ]
    ),
    st.text(alphabet=" +-@>\\ab\t", max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE, max_size=25))
def test_scan_terminates_and_keeps_hunks_inside_the_body(lines: list[str]) -> None:
    for f in scan_diffs(lines):
        assert 0 <= f.first_line < f.end_line <= len(lines)
        assert f.posted == tuple(lines[f.first_line : f.end_line])
        for hunk in f.hunks:
            assert all(line[:1] in (" ", "-", "+", "\\") for line in hunk.lines)


def test_scan_keeps_a_removed_line_that_starts_with_dash_space() -> None:
    """Removing an rst / Kconfig-help bullet ("- item") gives the diff line "-- item": the hunk's
    counts say it is part of the hunk; only a bare "-- " can be the signature separator."""
    body = [
        "diff --git a/Documentation/x.rst b/Documentation/x.rst",
        "--- a/Documentation/x.rst",
        "+++ b/Documentation/x.rst",
        "@@ -1,4 +1,3 @@",
        " List:",
        "-- first item",
        " - second item",
        " end",
        "-- ",
        "2.30.0",
    ]
    (f,) = scan_diffs(body)
    assert f.hunks[0].lines == (" List:", "-- first item", " - second item", " end")
    assert f.hunks[0].complete
    assert f.end_line == 8


def test_inline_patch_date_without_a_zone_is_utc_like_every_other_date() -> None:
    """An in-body ``Date:`` with ``-0000`` (or no zone) parses naive; Revision dates must stay
    comparable with the mail dates (sorting, "older"/"newer"), so it is taken as UTC."""
    from datetime import UTC, datetime

    from reviewer.thread import build_thread

    def mail(mid: str, subject: str, body: str, extra: str = "") -> bytes:
        return (f"From: A U <a@example.org>\nSubject: {subject}\nMessage-ID: <{mid}>\n"
                f"Date: Fri, 19 Mar 2021 03:15:47 -0400\n{extra}\n{body}").encode()

    diff = ("diff --git a/mm/a.c b/mm/a.c\n--- a/mm/a.c\n+++ b/mm/a.c\n@@ -1,3 +1,3 @@\n"
            " int f(void)\n {\n-\treturn 0;\n+\treturn {n};\n")
    v1 = mail("p1@x", "[PATCH] mm: f", "Fix.\n\nSigned-off-by: A U <a@example.org>\n---\n"
              + diff.replace("{n}", "1"))
    reply = mail("r1@x", "Re: [PATCH] mm: f", "Better:\n\n"
                 "From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001\n"
                 "From: B <b@example.org>\nDate: Tue, 23 Mar 2021 10:00:00 -0000\n"
                 "Subject: [PATCH] mm: f\n\nFix better.\n\nSigned-off-by: B <b@example.org>\n---\n"
                 + diff.replace("{n}", "2"), "In-Reply-To: <p1@x>\n")
    first, inline = find_revisions(build_thread([v1, reply]))
    assert inline.date == datetime(2021, 3, 23, 10, 0, tzinfo=UTC)
    assert first.date < inline.date


def test_inline_subject_with_a_glued_version_states_it() -> None:
    """``[PATCHv3]`` / ``[RFCv2 PATCH]`` state a version, as the thread's subject parser reads
    them (reviewer.thread.parse_subject); an inline patch so titled is v3, not "newest + 1"."""
    from reviewer.revisions._inbody import explicit_version
    from reviewer.thread import parse_subject

    for subject, version in [("[PATCHv3] mm: x", 3), ("[RFCv2 PATCH] a", 2), ("[PATCH V4 1/2] a", 4)]:
        assert explicit_version(subject) == version == parse_subject(subject).version
    assert explicit_version("[PATCH] a: fix v4l2") is None


def test_diff_of_diffs_keeps_changed_lines_that_start_with_dashes() -> None:
    """Only difflib's own ``---``/``+++`` header is dropped: a changed "-- item" removal in the
    inner diff (outer line "--- item") is a change, and counts."""
    from datetime import UTC, datetime

    from reviewer.model import Address, Revision
    from reviewer.revisions import diff_of_diffs

    head = ["diff --git a/D/x.rst b/D/x.rst", "--- a/D/x.rst", "+++ b/D/x.rst", "@@ -1,3 +1,2 @@"]
    old = scan_diffs([*head, " List:", "-- first item", " end"])
    new = scan_diffs([*head, " List:", "-- second item", " end"])
    lines = diff_of_diffs(old, new)
    assert "--- first item" in lines and "+-- second item" in lines
    def revision(label: str, lines: list[str]) -> Revision:
        return Revision(id=label, label=label, kind=RevisionKind.FORMAL, author=Address("", "a@b"),
                        date=datetime(2021, 3, 19, tzinfo=UTC), message_id=f"{label}@x", title="t",
                        commit_message="", trailers=(), diff="\n".join(lines) + "\n")

    v1 = revision("v1", [*head, " List:", "-- first item", " end"])
    v2 = revision("v2", [*head, " List:", "-- second item", " end"])
    assert range_diff_summary(v1, v2).endswith("diff-of-diffs +1/-1 (normalised diffs)")


@pytest.mark.parametrize(
    ("header", "old", "new"),
    [
        ("diff --git a/d ir/f g.c b/d ir/f g.c", "d ir/f g.c", "d ir/f g.c"),
        ('diff --git "a/ta\\tb.c" "b/ta\\tb.c"', "ta\tb.c", "ta\tb.c"),
        ('diff --git "a/\\303\\274.c" "b/\\303\\274.c"', "\u00fc.c", "\u00fc.c"),
        ('diff --git a/x y.c "b/x\\"y.c"', "x y.c", 'x"y.c'),
        ("diff --git a/old.c b/new.c", "old.c", "new.c"),
    ],
)
def test_diff_git_names_with_spaces_and_quotes(header: str, old: str, new: str) -> None:
    lines = [header, "index 1111111..2222222 100644", "@@ -1 +1 @@", "-a", "+b"]
    (f,) = scan_diffs(lines)
    assert (f.old_path, f.new_path) == (old, new)
    # Written back so git apply reads the same names: quoted where git quotes, spaces plain.
    again = scan_diffs(f.patch_lines())[0]
    assert (again.old_path, again.new_path) == (old, new)


def test_rename_lines_name_the_paths_git_apply_uses() -> None:
    lines = ["diff --git a/a.c b/a.c", "similarity index 90%", "rename from a.c",
             "rename to ../../escape.c", "--- a/a.c", "+++ b/a.c", "@@ -1 +1 @@", "-a", "+b"]
    (f,) = scan_diffs(lines)
    # git apply writes where the rename lines say: forged ---/+++ names must not hide it (the
    # trees stage refuses the ../ name it sees here).
    assert (f.old_path, f.new_path) == ("a.c", "../../escape.c")
