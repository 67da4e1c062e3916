"""`review b4-check`: b4's external per-patch check protocol (b4/review/checks.py)."""

from __future__ import annotations

import email
import email.policy
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from _thread_corpus import SEED_FIXTURE

from reviewer._config import Config
from reviewer._errors import InputError
from reviewer._mbox import split_mbox
from reviewer.b4check import b4_result, run_b4_check
from reviewer.model import Review, Status

REPO = Path(__file__).resolve().parents[1]


def _only(review: Review, index: int) -> Review:
    return replace(review, revisions=(review.revisions[index],), comments=())


def _details(result: dict[str, str]) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = json.loads(result["details"])
    return entries


def test_v1_fails_naming_the_double_free(seed_review: Review) -> None:
    result = b4_result(_only(seed_review, 0))
    assert set(result) == {"tool", "status", "summary", "url", "details"}
    assert result["tool"] == "reviewer" and result["status"] == "fail"
    assert result["summary"] == "v1: introduces double free; still has memcg charge leak (pre-existing)"
    # pre-existing problems are reported but do not fail the patch on their own
    statuses = {e["description"].split(":")[0]: e["status"] for e in _details(result)}
    assert statuses["introduced"] == "fail" and statuses["pre-existing"] == "warn"
    assert "mm/page_alloc.c:5148" in _details(result)[0]["description"]


def test_warnings_and_clean_revisions(seed_review: Review) -> None:
    v2 = seed_review.revisions[1]
    quiet = replace(v2, sim_verdicts=tuple(
        replace(v, violations=tuple(replace(x, status=Status.PRE_EXISTING) for x in v.violations)) for v in v2.sim_verdicts
    ))
    result = b4_result(replace(seed_review, revisions=(quiet,), comments=()))
    assert result["status"] == "warn" and "fixes-tag" in result["summary"]
    assert "still has page leak, memcg charge leak, bad page state (pre-existing)" in result["summary"]
    clean_sim = tuple(replace(v, outcome="clean", violations=()) for v in quiet.sim_verdicts)
    clean = b4_result(replace(seed_review, revisions=(replace(quiet, findings=(), sim_verdicts=clean_sim),), comments=()))
    assert clean["status"] == "pass" and "nothing found (4 simulations, 0 findings)" in clean["summary"]
    unapplied = replace(quiet, findings=(), applied=replace(quiet.applied, applied=False) if quiet.applied else None)
    assert b4_result(replace(seed_review, revisions=(unapplied,), comments=()))["status"] == "warn"


def test_empty_stdin_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="stdin"):
        run_b4_check(b"  \n", tmp_path, Config())


def _git_tree(path: Path) -> Path:
    """A kernel-like git tree holding the seed thread's pre-images (reviewer.testtree)."""
    from reviewer.testtree import build_test_tree
    from reviewer.thread import build_thread

    thread = build_thread(split_mbox(SEED_FIXTURE.read_bytes()))
    return build_test_tree(thread, path)


def test_b4_runs_review_b4_check_on_the_v1_email(tmp_path: Path) -> None:
    """b4's own runner (its stdin bytes, its cwd, its JSON parsing) runs `review b4-check`."""
    from b4.review import checks

    msg = email.message_from_bytes(split_mbox(SEED_FIXTURE.read_bytes())[0], policy=email.policy.EmailPolicy())
    topdir = _git_tree(tmp_path / "linux")
    results = checks._run_external_cmd([sys.executable, "-m", "reviewer", "b4-check"], msg, str(topdir))
    assert len(results) == 1, results
    (result,) = results
    assert result["tool"] == "reviewer"
    assert result["status"] == "fail", result
    assert "double free" in result["summary"]


def test_simulations_not_analysed_do_not_pass_as_clean(seed_review: Review) -> None:
    """A revision whose every simulation was "not analysed" was not checked: b4 must not show pass."""
    v2 = seed_review.revisions[1]
    skipped = tuple(replace(v, outcome="not-analysed", violations=(), reason="calls mystery() at mm/x.c:9")
                    for v in v2.sim_verdicts)
    result = b4_result(replace(seed_review, revisions=(replace(v2, findings=(), sim_verdicts=skipped),), comments=()))
    assert result["status"] == "warn"
    assert f"{len(skipped)} simulations not analysed (calls mystery() at mm/x.c:9)" in result["summary"]
    assert "nothing found" not in result["summary"]
