"""Acceptance on the seed thread, through the real pipeline (thread, revisions, trees,
simulator, checks, verdicts): the verdicts stand beside the comments they confirm."""

from __future__ import annotations

import json

import jsonschema

from reviewer.model import CommentReview, Review
from reviewer.report import exit_status, review_to_json, schema_path

HUGH_20_MARCH = "alpine.LSU.2.11.2103191814040.1043@eggly.anvils"
NAK_MESSAGE = "alpine.LSU.2.11.2103251716160.12404@eggly.anvils"
SKETCH_MESSAGE = "20210326025143.GB1719932@casper.infradead.org"


def _comment(review: Review, message_id: str, starts: str) -> CommentReview:
    return next(
        cr for cr in review.comments
        if cr.comment.message_id == message_id and cr.comment.text.startswith(starts)
    )


def _label(review: Review, revision_id: str) -> str:
    return next(rr.revision.label for rr in review.revisions if rr.revision.id == revision_id)


def test_hugh_20_march_shows_the_v1_compound_double_free_fixed_in_v2(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, HUGH_20_MARCH, "The put_page_testzero() has released")
    first = cr.links[0]
    assert (first.source, first.what, _label(seed_pipeline_review, first.revision_id)) == ("simulator", "double-free", "v1")
    assert first.config is not None and first.config.compound
    assert "trace passes mm/page_alloc.c:5148 quoted above" in first.why
    assert dict(cr.addressed)["v2 (inline, 23 Mar)"] == "fixed"


def test_nak_shows_the_non_compound_memcg_verdicts_still_present_in_v2(seed_pipeline_review: Review) -> None:
    reason = _comment(seed_pipeline_review, NAK_MESSAGE, "The first reason occurred to me")
    safe = _comment(seed_pipeline_review, NAK_MESSAGE, "And is it even safe there")
    sim = [link for link in reason.links + safe.links if link.source == "simulator"]
    assert {link.what for link in sim} >= {"charge-leak", "bad-page"}
    assert all(link.config is not None and not link.config.compound for link in sim)
    assert all(_label(seed_pipeline_review, link.revision_id) == "v2 (inline, 23 Mar)" for link in sim)
    assert dict(reason.addressed)["v2 (inline, 23 Mar)"] == "present"
    assert dict(safe.addressed)["v2 (inline, 23 Mar)"] == "present"


def test_nak_multiple_references_paragraph_shows_the_shared_holders_verdicts(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, NAK_MESSAGE, 'So, it has "always" been accepted')
    assert cr.links and all(link.scenario == "shared-holders" for link in cr.links if link.source == "simulator")
    assert any("multiple references" in link.why for link in cr.links)


def test_whoops_shows_the_fixes_tag_finding_on_v2(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, NAK_MESSAGE, "Whoops, misses")
    assert [(link.source, link.what) for link in cr.links] == [("check", "fixes-tag")]
    assert _label(seed_pipeline_review, cr.links[0].revision_id) == "v2 (inline, 23 Mar)"


def test_matthew_sketch_shows_its_own_verdicts(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, SKETCH_MESSAGE, "We can cache page->memcg_data")
    sketch = {link.revision_id for link in cr.links}
    assert cr.links and len(sketch) == 1
    assert _label(seed_pipeline_review, sketch.pop()).startswith("sketch by Matthew Wilcox")


def test_pipeline_review_json_validates_and_exit_status(seed_pipeline_review: Review) -> None:
    doc = json.loads(json.dumps(review_to_json(seed_pipeline_review)))
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(doc)
    assert [r["kind"] for r in doc["revisions"]] == ["base", "formal", "inline", "sketch"]
    assert exit_status(seed_pipeline_review) == 1


# ---------------------------------------------------------------- precise links (issue 6 follow-up)

COMMON_FUNCTIONS = {"free_the_page", "put_page_testzero", "free_pages_prepare", "__free_pages", "put_page"}
"""Functions nearly every trace of the seed's revisions passes through."""
V2 = "v2 (inline, 23 Mar)"


def test_nak_first_reason_links_both_orderings_of_the_uncharge_race(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, NAK_MESSAGE, "The first reason occurred to me")
    sim = [link for link in cr.links if link.source == "simulator"]
    assert {link.what for link in sim} >= {"charge-leak", "bad-page"}
    assert all(link.scenario == "speculative-lookup" for link in sim)
    assert all(link.config is not None and not link.config.compound and link.config.kmem for link in sim)
    assert all(_label(seed_pipeline_review, link.revision_id) == V2 for link in cr.links)
    bad = next(link for link in sim if link.what == "bad-page")
    # the bad page is the other ordering of the race the comment spells out, on different CPUs
    assert "different CPUs" in bad.why and "(holder)" in bad.why and "(owner)" in bad.why
    assert dict(cr.addressed)[V2] == "present"


def test_nak_multiple_references_paragraph_links_only_shared_holders(seed_pipeline_review: Review) -> None:
    cr = _comment(seed_pipeline_review, NAK_MESSAGE, 'So, it has "always" been accepted')
    assert {link.what for link in cr.links} >= {"page-leak", "double-free"}
    assert all(link.source == "simulator" and link.scenario == "shared-holders" for link in cr.links)


def test_is_it_even_safe_links_bad_pages_and_the_split_then_free_finding_not_double_free(
    seed_pipeline_review: Review,
) -> None:
    cr = _comment(seed_pipeline_review, NAK_MESSAGE, "And is it even safe there")
    kinds = {(link.source, link.what) for link in cr.links}
    assert kinds == {("simulator", "bad-page"), ("check", "split-then-free-high-order")}


def test_the_fixes_tag_finding_links_only_where_the_tag_is_discussed(seed_pipeline_review: Review) -> None:
    fixes = [cr for cr in seed_pipeline_review.comments if any(link.what == "fixes-tag" for link in cr.links)]
    assert [cr.comment.text.split("\n")[0] for cr in fixes] == ['Whoops, misses ("...") around the title.']
    # paragraphs that merely name the commit the Fixes: trailer points to
    for starts in ("But, after all that", "I don't have the answer", "We did discuss that possibility"):
        cr = next(c for c in seed_pipeline_review.comments if c.comment.text.startswith(starts))
        assert "e320d3012d25" in cr.comment.text
        assert not any(link.what == "fixes-tag" for link in cr.links)


def test_no_link_rests_on_a_function_every_trace_passes(seed_pipeline_review: Review) -> None:
    for cr in seed_pipeline_review.comments:
        for link in cr.links:
            reasons = link.why.split("; ")
            named = [r.removeprefix("comment names ") for r in reasons if r.startswith("comment names ")]
            if len(named) == len(reasons):  # linked by names alone
                said = {n.strip() for part in named for n in part.split(",")}
                assert not said <= COMMON_FUNCTIONS, (cr.comment.text[:60], link)


def test_text_view_folds_links_that_share_a_reason(seed_pipeline_review: Review) -> None:
    import io

    from rich.console import Console

    from reviewer.report.text_view import render_text

    buffer = io.StringIO()
    render_text(seed_pipeline_review, Console(file=buffer, width=160, color_system=None))
    out = buffer.getvalue()
    at = out.index("The first reason occurred to me")
    block = out[at : out.index("addressed:", at)]
    assert "simulator charge-leak on v2 (inline, 23 Mar) in speculative-lookup [order=1,2,3, non-compound, kmem]" in block
    assert "simulator bad-page on v2 (inline, 23 Mar) in speculative-lookup [order=2,3, non-compound, kmem]" in block
    # the race reason shared by several properties is printed once under them, not per line
    assert block.count("they race on different CPUs in this trace") == 2  # charge-leak's own, then the shared one
