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
