"""Against real kernel code: the Linux 5.12.9 excerpt in ../shared/kernel as a one-commit tree.

The seed thread's revisions apply with the offsets the real mm/page_alloc.c gives them; the
split-page thread's patch 2/2 (merged for 5.12) is found already in the tree and its
split_page() is simulated whole, on the tree with the patch taken out as the base; the tree's
real scripts/checkpatch.pl runs and its findings are parsed.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from _real_data import CORPUS, KERNEL

from reviewer._config import CacheConfig, Config
from reviewer._mbox import split_mbox
from reviewer.check_api import load_check_file, run_checks
from reviewer.model import Review, Revision, RevisionKind, Severity, Status
from reviewer.pipeline import build_review
from reviewer.revisions import find_revisions
from reviewer.thread import build_thread
from reviewer.trees import apply_all

pytestmark = pytest.mark.real_data

CHECKPATCH = Path(__file__).resolve().parents[1] / "checks" / "checkpatch.py"
# checkpatch.pl's top_of_kernel_tree() entries the excerpt leaves out (it has COPYING, Makefile,
# include/, scripts/ and mm/).
_MISSING_TOP = ("CREDITS", "Kbuild", "MAINTAINERS", "README", "Documentation/.keep", "arch/.keep",
                "drivers/.keep", "fs/.keep", "init/.keep", "ipc/.keep", "kernel/.keep", "lib/.keep")


def _revisions(name: str) -> tuple[Revision, ...]:
    return find_revisions(build_thread(split_mbox((CORPUS / name).read_bytes()), source=name))


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("kernel") / "linux"
    subprocess.run(["bash", str(KERNEL / "make-tree.sh"), str(dest)], check=True, capture_output=True)
    return dest


def test_seed_revisions_apply_with_their_real_offsets(kernel: Path, tmp_path: Path) -> None:
    revisions = _revisions("seed-thread.mbox")
    results = apply_all(revisions, kernel, thread_key="seed", scratch=tmp_path)
    head = subprocess.run(["git", "-C", str(kernel), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert [r.label.split(" ")[0] for r in revisions] == ["v1", "v2", "sketch"]
    assert all(a.applied and not a.synthetic and a.base == head and a.already_in is None for a in results)
    # The thread's hunks say 5125/5132 (v1, v2) and 5080 (the sketch); 5.12.9 has
    # __free_pages() at 5089.
    assert [[o.offset for o in a.offsets] for a in results] == [[-36, -36], [-36, -36], [9]]
    for a in results:
        (fn,) = a.functions
        assert fn.name == "__free_pages" and fn.pre and fn.post and fn.pre.complete and fn.post.complete
        assert (fn.pre.start_line, fn.pre.end_line) == (5089, 5096)


@pytest.fixture(scope="module")
def split_review(kernel: Path, tmp_path_factory: pytest.TempPathFactory) -> Review:
    thread = build_thread(split_mbox((CORPUS / "split-page-memcg-v2.mbox").read_bytes()))
    cfg = replace(Config(), cache=CacheConfig(tmp_path_factory.mktemp("cache")))
    return build_review(thread, cfg, tree=kernel)


def test_split_page_patch_is_already_in_the_tree_and_simulated_on_the_real_function(
    split_review: Review, kernel: Path
) -> None:
    formal = [rr for rr in split_review.revisions if rr.revision.kind is RevisionKind.FORMAL]
    (rr,) = formal
    a = rr.applied
    assert a is not None and a.applied and not a.synthetic
    assert a.already_in is not None and a.already_in.commit is None  # a history of one commit
    assert a.base_how == "branch HEAD with the revision reverse-applied"
    assert [o.offset for o in a.offsets] == [8]  # posted at 3310; split_page() is at 3311
    (fn,) = a.functions
    assert fn.name == "split_page" and fn.pre and fn.post and fn.pre.complete and fn.post.complete
    assert (fn.post.start_line, fn.post.end_line) == (3311, 3322)
    assert "split_page_memcg(page, 1 << order);" in fn.post.source
    assert "split_page_memcg" not in fn.pre.source

    scenarios = {v.scenario for v in rr.sim_verdicts}
    assert "split-then-free" in scenarios
    assert all(v.outcome != "not-analysed" for v in rr.sim_verdicts), [v.reason for v in rr.sim_verdicts]
    assert all(v.functions == () or "split_page" in v.functions for v in rr.sim_verdicts)
    # Without the patch the tail pages keep their charge; with it, no longer.
    fixed = {v.property for sv in rr.sim_verdicts for v in sv.violations if v.status is Status.FIXED}
    assert "charge-leak" in fixed

    (base,) = [b for b in split_review.revisions
               if b.revision.kind is RevisionKind.BASE and b.applied and b.applied.base == a.base]
    assert any(v.outcome == "violation" for v in base.sim_verdicts)


def test_split_page_report_says_already_in_your_tree(split_review: Review) -> None:
    import json

    import jsonschema

    from reviewer.report import render_markdown, review_to_json, schema_path

    whole = review_to_json(split_review)
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(whole)
    (doc,) = [r for r in whole["revisions"] if r["kind"] == "formal"]
    assert doc["apply"]["already_in"] == {"commit": None, "found_by": None}
    assert doc["apply"]["fallback"] == ""
    assert "already in your tree (it applies in reverse" in render_markdown(split_review)


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_checkpatch_of_a_revision_already_in_the_tree_comes_from_the_branch(kernel: Path) -> None:
    v2 = _revisions("split-page-memcg-v2.mbox")[0]
    (applied,) = apply_all([v2], kernel, thread_key="in-tree")
    assert applied.already_in is not None
    assert run_checks(v2, applied, None, [load_check_file(CHECKPATCH)]) == ()  # a clean patch
    unsigned = replace(v2, commit_message="Split the memcg too.\n", trailers=())
    found = run_checks(unsigned, applied, None, [load_check_file(CHECKPATCH)])
    assert [f.key for f in found] == ["MISSING_SIGN_OFF: Missing Signed-off-by: line(s)"]
    assert found[0].evidence[-1].startswith("scripts/checkpatch.pl")


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_the_real_checkpatch_on_v2(kernel: Path, tmp_path: Path) -> None:
    revisions = _revisions("seed-thread.mbox")
    v2 = revisions[1]
    (applied,) = apply_all([v2], kernel, thread_key="checkpatch")
    check = load_check_file(CHECKPATCH)
    found = run_checks(v2, applied, None, [check])
    assert [(f.severity, f.status, f.file, f.line, f.key) for f in found] == [
        (Severity.INFO, Status.INTRODUCED, "COMMIT_MSG", 27, "UNKNOWN_COMMIT_ID: could not verify e320d3012d25")]
    (unknown,) = found
    assert unknown.message.startswith("checkpatch WARNING:UNKNOWN_COMMIT_ID: could not verify commit id "
                                      "'e320d3012d25'")
    assert "a snapshot of Linux 5.12.9" in unknown.message
    assert unknown.evidence[0].startswith("Fixes: e320d3012d25")
    assert unknown.evidence[-1].endswith("run with --no-tree (not a whole kernel tree)")
    strict = replace(check, options=(("strict", True),))
    assert "--strict" in run_checks(v2, applied, None, [strict])[0].evidence[-1]


@pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")
def test_the_real_checkpatch_runs_from_the_root_of_a_whole_tree(kernel: Path, tmp_path: Path) -> None:
    whole = tmp_path / "whole"
    shutil.copytree(kernel, whole)
    for name in _MISSING_TOP:
        (whole / name).parent.mkdir(parents=True, exist_ok=True)
        (whole / name).write_text("")
    env = ["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "-C", str(whole), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(whole), *env, "commit", "-q", "-m", "top-level entries"], check=True)
    v2 = _revisions("seed-thread.mbox")[1]
    (applied,) = apply_all([v2], whole, thread_key="checkpatch")
    found = run_checks(v2, applied, None, [load_check_file(CHECKPATCH)])
    assert [f.key for f in found] == ["UNKNOWN_COMMIT_ID: could not verify e320d3012d25"]
    assert found[0].evidence[-1].endswith("run from the tree's root")
    # With the tree the script looks the id up in the repository's history: one a branch has
    # is not reported.
    head = subprocess.run(["git", "-C", str(whole), "rev-parse", "HEAD~1"], capture_output=True,
                          text=True, check=True).stdout.strip()
    known = replace(v2, commit_message=v2.commit_message.replace("e320d3012d25", head[:12]))
    assert not [f for f in run_checks(known, applied, None, [load_check_file(CHECKPATCH)])
                if "COMMIT_ID" in f.key]
