"""Linking verdicts to comments and following them across revisions, on the real seed thread
with simulator verdicts and findings shaped as the analysis stages produce them."""

from __future__ import annotations

from dataclasses import replace

from reviewer.model import CommentReview, Review, Stance, Status, Thread
from reviewer.verdicts import link_comments, revision_positions, vetoed

NAK_MESSAGE = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"
HUGH_20_MARCH = "alpine.LSU.2.11.2103191814040.1043@eggly.anvils"
SKETCH_MESSAGE = "20210326025143.GB1719932@casper.infradead.org"


def _comment(review: Review, message_id: str, starts: str) -> CommentReview:
    return next(
        cr for cr in review.comments
        if cr.comment.message_id == message_id and cr.comment.text.startswith(starts)
    )


def _links(cr: CommentReview) -> set[tuple[str, str]]:
    return {(link.scenario, link.what) for link in cr.links}


def test_hugh_pagehead_comment_shows_v1_compound_double_free_fixed_in_v2(seed_review: Review) -> None:
    cr = _comment(seed_review, HUGH_20_MARCH, "The put_page_testzero() has released")
    v1 = seed_review.revisions[0].revision
    double = [link for link in cr.links if link.what == "double-free"]
    assert double and all(link.revision_id == v1.id for link in double)
    assert double[0].config is not None and double[0].config.compound
    assert "trace passes mm/page_alloc.c:5148 quoted above" in double[0].why
    assert "doubly free" in double[0].why
    # the charge leak of v1 is not what this paragraph is about
    assert ("speculative-lookup", "charge-leak") not in _links(cr)
    assert dict(cr.addressed) == {
        "v1": "present",
        "v2 (inline, 23 Mar)": "fixed",
        "sketch by Matthew Wilcox, 26 Mar": "present",
    }


def test_nak_first_reason_shows_the_non_compound_verdicts_still_present_in_v2(seed_review: Review) -> None:
    v2 = seed_review.revisions[1].revision
    reason = _comment(seed_review, NAK_MESSAGE, "The first reason occurred to me")
    assert _links(reason) >= {("speculative-lookup", "charge-leak")}
    assert all(link.revision_id == v2.id for link in reason.links)
    why = next(link.why for link in reason.links if link.what == "charge-leak")
    # named by what only the charge leak involves, not by what every trace touches
    assert "mem_cgroup_uncharge" in why and "memcg_data" not in why
    assert all(link.config is not None and not link.config.compound for link in reason.links)
    assert dict(reason.addressed)["v2 (inline, 23 Mar)"] == "present"
    safe = _comment(seed_review, NAK_MESSAGE, "And is it even safe there")
    assert ("speculative-lookup", "bad-page") in _links(safe)
    assert any("check_free_page" in link.why for link in safe.links)


def test_nak_multiple_references_paragraph_shows_the_shared_holders_verdicts(seed_review: Review) -> None:
    cr = _comment(seed_review, NAK_MESSAGE, 'So, it has "always" been accepted')
    shared = [link for link in cr.links if link.scenario == "shared-holders"]
    assert shared and "multiple references" in shared[0].why
    assert not any(link.what == "double-free" for link in cr.links)


def test_whoops_links_the_fixes_tag_finding_on_v2(seed_review: Review) -> None:
    cr = _comment(seed_review, NAK_MESSAGE, "Whoops, misses")
    v2 = seed_review.revisions[1].revision
    (link,) = cr.links
    assert (link.source, link.what, link.revision_id) == ("check", "fixes-tag", v2.id)
    assert "Fixes: e320d3012d25" in link.why
    # the sketch has no commit message: the fixes-tag check does not apply there
    assert dict(cr.addressed) == {"v2 (inline, 23 Mar)": "present", "sketch by Matthew Wilcox, 26 Mar": "n/a"}


def test_sketch_comment_shows_the_sketch_verdicts(seed_review: Review) -> None:
    sketch = seed_review.revisions[2].revision
    cr = _comment(seed_review, SKETCH_MESSAGE, "We can cache page->memcg_data")
    assert cr.links and all(link.revision_id == sketch.id for link in cr.links)
    assert {link.what for link in cr.links} == {"double-free", "bad-page"}
    assert all("proposed in this message" in link.why for link in cr.links)


def test_unrelated_comments_get_no_verdicts(seed_review: Review) -> None:
    for starts in ("Thanks.", "This version makes me happy.", "All aboard"):
        cr = next(c for c in seed_review.comments if c.comment.text.startswith(starts))
        assert cr.links == () and cr.addressed == ()


def test_not_analysed_and_failed_revisions_are_na(seed_review: Review) -> None:
    thread = seed_review.thread
    v1, v2, sketch = seed_review.revisions
    broken = replace(sketch, applied=replace(sketch.applied, applied=False) if sketch.applied else None)
    reviews = link_comments(thread, (v1, v2, broken))
    cr = next(c for c in reviews if c.comment.message_id == HUGH_20_MARCH and c.comment.text.startswith("The put_page"))
    assert dict(cr.addressed)["sketch by Matthew Wilcox, 26 Mar"] == "n/a"


def test_linking_does_not_attach_fixed_violations(seed_review: Review) -> None:
    thread = seed_review.thread
    v1, v2, sketch = seed_review.revisions
    fixed = tuple(
        replace(v, violations=tuple(replace(x, status=Status.FIXED) for x in v.violations)) for v in v1.sim_verdicts
    )
    reviews = link_comments(thread, (replace(v1, sim_verdicts=fixed), v2, sketch))
    cr = next(c for c in reviews if c.comment.message_id == HUGH_20_MARCH and c.comment.text.startswith("The put_page"))
    assert cr.links == ()


def test_positions_per_revision_include_the_nak_as_a_veto(seed_fixture_thread: Thread, seed_review: Review) -> None:
    v1, v2, sketch = (rr.revision for rr in seed_review.revisions)
    on_v2 = revision_positions(seed_fixture_thread, v2, (v1, v2, sketch))
    people = {(p.person.name, p.stance) for p in on_v2}
    assert ("Hugh Dickins", Stance.NAK) in people
    assert ("Matthew Wilcox", Stance.REVIEW) in people or any(p.stance is Stance.REVIEW for p in on_v2)
    assert vetoed(on_v2)
    withdrawn = [p for p in on_v2 if p.stance is Stance.ACK and p.person.name == "Hugh Dickins"]
    assert withdrawn and not withdrawn[0].standing
    on_v1 = revision_positions(seed_fixture_thread, v1, (v1, v2, sketch))
    assert {p.person.name for p in on_v1 if p.stance is Stance.ACK} >= {"Michal Hocko"}
    assert not vetoed(on_v1)
