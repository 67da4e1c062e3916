"""Review values for the verdicts and report tests: the real seed thread and revisions (built by
the thread and revisions stages from fixtures/seed.mbox, whose bodies are the corpus's) with simulator verdicts and findings
written by hand in the shape the simulator and checks produce (the lines are the real lines of
the posted diffs, so anchoring by position is exercised for real)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from reviewer.model import (
    Address,
    AppliedRevision,
    ApplyError,
    BaseHints,
    Comment,
    CommentReview,
    Finding,
    FunctionImage,
    HunkOffset,
    OtherVersion,
    Position,
    Review,
    Revision,
    RevisionKind,
    RevisionReview,
    Severity,
    SimConfig,
    SimVerdict,
    Stance,
    Status,
    Subject,
    Thread,
    TouchedFunction,
    TraceStep,
    Violation,
)
from reviewer.revisions import find_revisions
from reviewer.verdicts import link_comments, revision_positions

PATH = "mm/page_alloc.c"
COMPOUND = SimConfig(order=1, compound=True, kmem=True)
PLAIN = SimConfig(order=1, compound=False, kmem=True)
ORDER0 = SimConfig(order=0, compound=False, kmem=True)


COMMON = ("PageHead", "refcount", "memcg_data", "pcp")
"""Fields every trace of __free_pages touches (the simulator lists them for every violation)."""


def step(cpu: int, line: int, source: str, effect: str, function: str = "__free_pages") -> TraceStep:
    return TraceStep(cpu, "owner" if cpu == 0 else "racer", PATH, line, source, effect, function)


def double_free(line_of_check: int, status: Status = Status.INTRODUCED) -> Violation:
    return Violation(
        property="double-free",
        status=status,
        pages=(1,),
        detail="P1 freed twice: by the owner's tail loop after the racer freed the compound page",
        trace=(
            step(0, line_of_check - 11, "if (likely(put_page_testzero(page))) {", "P0.refcount 2->1"),
            step(1, 1, "put_page(page)", "P0.refcount 1->0, compound page freed, PG_head cleared", "put_page"),
            step(0, line_of_check, "if (!PageHead(page) && order > 0) {", "PageHead(P0) = false"),
            step(0, line_of_check + 3, "free_the_page(page + (1 << order), order);", "P1 freed again"),
        ),
        functions=("__free_pages", "put_page_testzero", "free_the_page"),
        symbols=(*COMMON, "PG_head", "free_the_page"),
    )


def charge_leak(status: Status = Status.INTRODUCED) -> Violation:
    return Violation(
        property="charge-leak",
        status=status,
        pages=(1,),
        detail="P1 freed while still charged to cgroup: the racer uncharged the head first",
        trace=(
            step(1, 1, "mem_cgroup_uncharge(page)", "P0.memcg_data -> 0", "__put_single_page"),
            step(0, 5160, "split_page_memcg(page, 1 << order);", "page_memcg(P0) is NULL: nothing split"),
        ),
        functions=("__free_pages", "split_page_memcg", "mem_cgroup_uncharge", "__put_single_page"),
        symbols=(*COMMON, "mem_cgroup_uncharge", "page_memcg"),
    )


def bad_page(status: Status = Status.INTRODUCED) -> Violation:
    return Violation(
        property="bad-page",
        status=status,
        pages=(2,),
        detail="Bad page state: P2 still charged to cgroup when freed at order 0",
        trace=(step(0, 5162, "free_the_page(page + (1 << order), order);", "check_free_page(P2): memcg_data set"),),
        functions=("free_the_page", "check_free_page", "free_pages_prepare"),
        symbols=(*COMMON, "check_free_page", "bad_page"),
    )


def shared_leak() -> Violation:
    return Violation(
        property="page-leak",
        status=Status.PRE_EXISTING,
        pages=(1,),
        detail="two holders call __free_pages(): all but the last free all but the first subpage",
        trace=(step(0, 5130, "free_the_page(page + (1 << order), order);", "P1 freed by holder A"),),
        functions=("__free_pages",),
        symbols=COMMON,
    )


def seed_revisions(thread: Thread) -> tuple[Revision, Revision, Revision]:
    v1, v2, sketch = find_revisions(thread)
    return v1, v2, sketch


def applied(rev: Revision, *, offset: int = 0) -> AppliedRevision:
    fn = FunctionImage("__free_pages", PATH, 5124, 5160, "void __free_pages(...)")
    return AppliedRevision(
        revision_id=rev.id,
        applied=True,
        base="c53fe4fa10bf" + "0" * 28,
        base_how="blobs",
        commit="1" * 40,
        ref=f"refs/reviewer/{rev.id[:8]}",
        offsets=(HunkOffset(PATH, 1, offset), HunkOffset(PATH, 2, offset)),
        files=(PATH,),
        functions=(TouchedFunction("__free_pages", PATH, fn, fn),),
        range_diff="" if rev.kind is RevisionKind.FORMAL else "1: __free_pages() reads PageHead before the put",
    )


def seed_revision_reviews(thread: Thread) -> tuple[RevisionReview, ...]:
    v1, v2, sketch = seed_revisions(thread)
    revs = (v1, v2, sketch)
    spec = "speculative-lookup"
    shared = "shared-holders"
    return (
        RevisionReview(
            v1,
            applied(v1),
            sim_verdicts=(
                SimVerdict(v1.id, spec, COMPOUND, "violation", 412, (double_free(5148),)),
                SimVerdict(v1.id, spec, PLAIN, "violation", 388, (charge_leak(Status.PRE_EXISTING),)),
                SimVerdict(v1.id, spec, ORDER0, "clean", 12),
            ),
            positions=revision_positions(thread, v1, revs),
        ),
        RevisionReview(
            v2,
            applied(v2),
            sim_verdicts=(
                SimVerdict(v2.id, spec, COMPOUND, "clean", 431),
                SimVerdict(v2.id, spec, PLAIN, "violation", 402, (charge_leak(), bad_page())),
                SimVerdict(v2.id, spec, ORDER0, "clean", 12),
                SimVerdict(v2.id, shared, PLAIN, "violation", 96, (shared_leak(),)),
            ),
            findings=(
                Finding(
                    check="fixes-tag",
                    severity=Severity.WARNING,
                    revision_id=v2.id,
                    file="COMMIT_MSG",
                    line=24,
                    message='Fixes: tag title not in ("...")',
                    evidence=("Fixes: e320d3012d25 mm/page_alloc.c: fix freeing non-compound pages",),
                ),
            ),
            positions=revision_positions(thread, v2, revs),
        ),
        RevisionReview(
            sketch,
            applied(sketch),
            sim_verdicts=(
                SimVerdict(sketch.id, spec, COMPOUND, "violation", 390, (double_free(5084),)),
                SimVerdict(sketch.id, spec, PLAIN, "violation", 377, (bad_page(),)),
                SimVerdict(sketch.id, spec, ORDER0, "not-analysed", 0, reason="mm/page_alloc.c:5090: #ifdef CONFIG_MEMCG inside a loop"),
            ),
        ),
    )


@pytest.fixture(scope="session")
def seed_review(seed_fixture_thread: Thread) -> Review:
    rrs = seed_revision_reviews(seed_fixture_thread)
    return Review(seed_fixture_thread, rrs, link_comments(seed_fixture_thread, rrs))


@pytest.fixture(scope="session")
def seed_pipeline_review(seed_fixture_thread: Thread, tmp_path_factory: pytest.TempPathFactory) -> Review:
    """The seed thread through the whole real pipeline, on a test tree of its own pre-images."""
    from reviewer._config import CacheConfig, Config
    from reviewer.pipeline import build_review
    from reviewer.testtree import build_test_tree

    tree = build_test_tree(seed_fixture_thread, tmp_path_factory.mktemp("seed-tree") / "linux")
    # A cache of its own: facts and verdicts are kept there, not in the user's cache.
    cfg = Config(cache=CacheConfig(tmp_path_factory.mktemp("seed-cache")))
    return build_review(seed_fixture_thread, cfg, tree=tree)


def every_kind_review(seed: Review) -> Review:
    """The seed review plus one of every other kind of value the JSON can hold."""
    when = datetime(2021, 3, 27, 9, 0, tzinfo=UTC)
    someone = Address("A Reviewer", "a@example.org")
    base = Revision("base0", "base", RevisionKind.BASE, someone, when, "", "base c53fe4fa10bf", "", (), "")
    failed = Revision(
        "failed0", "v3", RevisionKind.FORMAL, someone, when, "v3@example.org", "mm: v3", "msg", (), "",
        base_hints=BaseHints(base_commit="abc"), version=3,
    )
    extra = (
        RevisionReview(base, None, sim_verdicts=(
            SimVerdict("base0", "speculative-lookup", PLAIN, "violation", 5, (shared_leak(),)),
            # additive within reviewer/1: the assertion property and a generic-harness reason
            SimVerdict("base0", "generic harness: f", PLAIN, "violation", 1, (Violation(
                "assertion", Status.INTRODUCED, (), "VM_BUG_ON_PAGE(PageTail(page)) failed at mm/x.c:3"),),
                reason="generic harness: f(page) on the allocation, alone; leaks not judged"),
        )),
        RevisionReview(
            failed,
            AppliedRevision("failed0", False, "synthetic", "synthetic", error=ApplyError(PATH, 2, "does not apply"), synthetic=True),
            findings=(
                Finding("checkpatch", Severity.INFO, "failed0", PATH, 3, "style", Status.FIXED),
                Finding("crash", Severity.ERROR, "failed0", "", 0, "check raised", Status.PRE_EXISTING),
            ),
            positions=(
                Position(someone, Stance.NAK, "m@x", when, "v3@example.org", "NAK", withdrawn_by="n@x"),
                Position(someone, Stance.TESTED, "t@x", when, None, "Tested-by: A"),
            ),
        ),
    )
    other = OtherVersion("old@x", Subject("[PATCH] old", "old", ("PATCH",)), when, someone, "older", "subject")
    unanchored = CommentReview(Comment("orphan@x", someone, when, "Looks fine to me.", "", 0))
    return replace(
        seed,
        revisions=extra + seed.revisions,
        comments=(*seed.comments, unanchored),
        other_versions=(other,),
        notes=("synthetic base used for v3",),
    )
