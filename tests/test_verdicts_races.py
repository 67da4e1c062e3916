"""The linking rules of :mod:`reviewer.verdicts.races` and their use in :mod:`reviewer.verdicts.linking`,
on hand-built values: a race described by two functions that run on different CPUs, names too
common to identify a verdict, commit-message findings linked by their text, and a proposal's own
findings. Each rule has a case where it links and one where it must not."""

from __future__ import annotations

from datetime import UTC, datetime

from reviewer.model import (
    Address,
    Comment,
    Finding,
    Revision,
    RevisionKind,
    RevisionReview,
    Severity,
    SimConfig,
    SimVerdict,
    Status,
    TraceStep,
    Violation,
)
from reviewer.verdicts.linking import link_comment
from reviewer.verdicts.races import COMMON_MIN_VIOLATIONS, common_names, cross_cpu_pair

PATH = "mm/example.c"
KMEM = SimConfig(order=2, compound=False, kmem=True)
PLAIN = SimConfig(order=2, compound=False, kmem=False)
WHEN = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
SOMEONE = Address("A Reviewer", "a@example.org")
OWNER_PATH = ("release_block", "drop_ref", "spread_owner_tag", "free_block", "prepare_free")
RACER_PATH = ("put_ref", "drop_ref", "release_single", "clear_owner_tag", "prepare_free")


def _step(cpu: int, function: str, effect: str, line: int = 10) -> TraceStep:
    return TraceStep(cpu, "owner" if cpu == 0 else "racer", PATH, line, f"{function}(blk);", effect, function)


def raced(prop: str, *, owner: tuple[str, ...] = OWNER_PATH, racer: tuple[str, ...] = RACER_PATH) -> Violation:
    """A violation of the owner/racer race: the racer clears the tag while the owner spreads it."""
    return Violation(
        property=prop,
        status=Status.INTRODUCED,
        pages=(1,),
        detail=f"{prop} on block 1",
        trace=(
            _step(0, "drop_ref", "B0.refcount 2->1"),
            _step(1, "drop_ref", "B0.refcount 1->0"),
            _step(1, "clear_owner_tag", "B0.owner_tag = 0"),
            _step(0, "spread_owner_tag", "owner_tag(B0) = 0: nothing to spread"),
            _step(0, "free_block", "free_block(B1, order 0)"),
        ),
        functions=tuple(dict.fromkeys(owner + racer)),
        symbols=("owner_tag", "refcount", "drop_ref", "clear_owner_tag", "spread_owner_tag", "free_block"),
        cpu_functions=((0, owner), (1, racer)),
    )


def lone(prop: str, functions: tuple[str, ...] = ("release_block", "free_block", "prepare_free")) -> Violation:
    """A violation on one CPU only (two holders that never overlap)."""
    return Violation(
        property=prop,
        status=Status.INTRODUCED,
        pages=(1,),
        detail=f"{prop} on block 1",
        trace=tuple(_step(0, f, "effect") for f in functions),
        functions=functions,
        symbols=("refcount",),  # a trace that passes a function need not list it among its symbols
        cpu_functions=((0, functions),),
    )


def revision(message_id: str = "patch@example.org", kind: RevisionKind = RevisionKind.FORMAL) -> Revision:
    return Revision("rev1", "v1", kind, SOMEONE, WHEN, message_id, "example: spread tags", "msg", (), "")


def comment(text: str, *, quoted: str = "", message_id: str = "reply@example.org") -> Comment:
    return Comment(message_id, SOMEONE, WHEN, text, quoted, 0, anchor_revision="rev1")


def review(*verdicts: SimVerdict, findings: tuple[Finding, ...] = (), rev: Revision | None = None) -> RevisionReview:
    return RevisionReview(rev or revision(), None, sim_verdicts=verdicts, findings=findings)


def _whats(rr: RevisionReview, text: str, **kw: str) -> set[tuple[str, str]]:
    return {(link.scenario, link.what) for link in link_comment(comment(text, **kw), rr)}


# ---------------------------------------------------------------- cross_cpu_pair


def test_cross_cpu_pair_finds_two_functions_run_on_different_cpus() -> None:
    pair = cross_cpu_pair("the racer may call clear_owner_tag() while spread_owner_tag() runs", raced("charge-leak"))
    assert pair is not None
    assert {(name, thread) for name, _, thread in pair} == {("clear_owner_tag", "racer"), ("spread_owner_tag", "owner")}


def test_cross_cpu_pair_ignores_functions_both_cpus_enter_and_fields() -> None:
    violation = raced("charge-leak")
    # drop_ref and prepare_free run on both CPUs; owner_tag is a field both sides touch
    assert cross_cpu_pair("drop_ref() then prepare_free() with owner_tag set", violation) is None
    assert cross_cpu_pair("only spread_owner_tag() is named", violation) is None


def test_cross_cpu_pair_needs_one_name_that_is_not_common() -> None:
    violation = raced("charge-leak")
    text = "release_single() against free_block()"
    assert cross_cpu_pair(text, violation) is not None
    assert cross_cpu_pair(text, violation, common={"release_single", "free_block"}) is None


# ---------------------------------------------------------------- common_names


def test_common_names_are_those_nearly_every_violation_involves() -> None:
    many = [lone("page-leak")] * (COMMON_MIN_VIOLATIONS - 1) + [raced("charge-leak")]
    common = common_names(many)
    assert {"free_block", "prepare_free", "release_block"} <= common
    assert "clear_owner_tag" not in common and "spread_owner_tag" not in common


def test_no_name_is_common_among_few_violations() -> None:
    assert common_names([lone("page-leak"), lone("double-free")]) == frozenset()


# ---------------------------------------------------------------- the race rule in linking


def test_a_described_race_links_every_property_it_produces_in_its_cells() -> None:
    rr = review(
        SimVerdict("rev1", "lookup-race", KMEM, "violation", 10, (raced("charge-leak"), raced("bad-page"))),
        SimVerdict("rev1", "two-holders", KMEM, "violation", 10, (lone("double-free"),)),
    )
    text = "The racer may call clear_owner_tag(), and spread_owner_tag() then does nothing."
    links = link_comment(comment(text), rr)
    assert {(link.scenario, link.what) for link in links} == {("lookup-race", "charge-leak"), ("lookup-race", "bad-page")}
    assert all("different CPUs" in link.why and "clear_owner_tag (racer)" in link.why for link in links)


def test_a_race_is_not_described_by_one_side_alone_or_by_shared_functions() -> None:
    rr = review(SimVerdict("rev1", "lookup-race", KMEM, "violation", 10, (raced("charge-leak"), raced("bad-page"))))
    assert _whats(rr, "Is spread_owner_tag() safe here, with owner_tag set on every block?") == set()
    assert _whats(rr, "drop_ref() is called before prepare_free().") == set()


def test_the_race_rule_keeps_configuration_words() -> None:
    rr = review(
        SimVerdict("rev1", "lookup-race", KMEM, "violation", 10, (raced("charge-leak"),)),
        SimVerdict("rev1", "lookup-race", PLAIN, "violation", 10, (raced("stale-read"),)),
    )
    links = link_comment(comment("clear_owner_tag() races spread_owner_tag() on a page charged to a memcg"), rr)
    assert {link.config for link in links} == {KMEM}


# ---------------------------------------------------------------- common names do not link


def _busy_revision() -> RevisionReview:
    # every violation passes free_block; only the double free lists it among its own symbols
    double = Violation("double-free", Status.INTRODUCED, (1,), "block 1 freed twice",
                       trace=(_step(0, "free_block", "B1 freed again"),), functions=("free_block", "unlink_tail"),
                       symbols=("free_block", "unlink_tail"), cpu_functions=((0, ("free_block", "unlink_tail")),))
    others = tuple(
        SimVerdict("rev1", f"cell-{i}", KMEM, "violation", 5, (lone(prop),))
        for i, prop in enumerate(("page-leak", "bad-page", "stale-read", "charge-leak", "css-imbalance"))
    )
    return review(SimVerdict("rev1", "cell-x", KMEM, "violation", 5, (double,)), *others)


def test_a_function_nearly_every_trace_passes_does_not_link() -> None:
    assert _whats(_busy_revision(), "free_block() is about to be applied to descending orders.") == set()


def test_a_rare_function_still_links() -> None:
    assert _whats(_busy_revision(), "unlink_tail() looks wrong to me.") == {("cell-x", "double-free")}


# ---------------------------------------------------------------- commit-message findings


def _fixes_finding() -> Finding:
    return Finding("fixes-tag", Severity.WARNING, "rev1", "COMMIT_MSG", 20, "title not in (\"...\")",
                   evidence=("Fixes: 0123456789ab example: old change",), symbols=("Fixes", "0123456789ab"))


def test_a_commit_message_finding_does_not_link_by_the_commit_it_cites() -> None:
    rr = review(findings=(_fixes_finding(),))
    assert _whats(rr, "For now: NAK, and revert of 0123456789ab.") == set()


def test_a_commit_message_finding_links_by_talk_of_the_tag_or_its_quoted_line() -> None:
    rr = review(findings=(_fixes_finding(),))
    assert _whats(rr, "The title of 0123456789ab wants quotes.") == {("", "fixes-tag")}
    quoted = "> Fixes: 0123456789ab example: old change"
    assert _whats(rr, "Hmm.", quoted=quoted) == {("", "fixes-tag")}


# ---------------------------------------------------------------- a proposal's own findings


def test_a_proposal_message_links_the_findings_it_introduces_only() -> None:
    sketch = revision("sketch@example.org", RevisionKind.SKETCH)
    new = Finding("read-after-put", Severity.WARNING, "rev1", PATH, 12, "reads after put", function="release_block")
    old = Finding("checkpatch", Severity.INFO, "rev1", PATH, 14, "style", Status.PRE_EXISTING, function="release_block")
    rr = review(findings=(new, old), rev=sketch)
    links = link_comment(comment("Something like this, then:", message_id="sketch@example.org"), rr)
    assert [(link.source, link.what) for link in links] == [("check", "read-after-put")]
    assert "proposed in this message" in links[0].why
