"""Fixes: tags verified by simulating history (reviewer/fixes), on the seed thread.

v2 carries ``Fixes: e320d3012d25 mm/page_alloc.c: fix freeing non-compound pages``. The trees
here hold __free_pages() before that commit (it only freed the block when its count reached
zero) and as the commit left it (the thread's own pre-image, which frees the tail blocks when
PageHead() reads false after the put). v2 fixes the compound double free that read lets in; it
leaves the memcg charge leak, which is older: the old function leaked the tail pages whole.
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from _cli_env import SEED_ROOT, Cli
from _fixes_history import BEFORE, NAMED_TITLE, Step, build_history, seed_thread, with_comment
from _lore_server import FIXTURES, LoreServer
from sim_sources import seed_images

import reviewer.fixes._probe as probe_module
from reviewer._config import Config
from reviewer.fixes import FixesStage, describe_fixes, describe_tag, fixes_tags
from reviewer.model import (
    FixesProblem,
    FixesReview,
    FixOrigin,
    Review,
    RevisionReview,
    TagVerdict,
    Trailer,
)
from reviewer.pipeline import build_review
from reviewer.report import review_to_json, schema_path
from reviewer.sim import SimCache
from reviewer.testtree import build_test_tree

V2 = "v2 (inline, 23 Mar)"
AT = seed_images().base.source
TAG_LINE = rb"^Fixes: e320d3012d25 mm/page_alloc\.c: fix freeing non-compound pages\n"
POSTING = FIXTURES / "fixes" / "free-pages-posting.mbox"
HISTORY = [Step("mm: the page allocator", BEFORE), Step("Documentation: notes on the allocator", None),
           Step(NAMED_TITLE, AT)]


def revision(review: Review, label: str) -> RevisionReview:
    return next(rr for rr in review.revisions if rr.revision.label == label)


def fixes_of(review: Review, label: str = V2) -> FixesReview:
    found = revision(review, label).fixes
    assert found is not None
    return found


def problems(result: FixesReview, prop: str, scenario: str = "speculative-lookup") -> list[FixesProblem]:
    return [p for t in result.tags for p in t.problems if p.property == prop and p.scenario == scenario]


def assert_seed_verdict(result: FixesReview) -> None:
    """v2's tag verified for the compound double free; the charge leak older than the commit."""
    [tag] = result.tags
    assert tag.verdict is TagVerdict.VERIFIED
    [double_free] = problems(result, "double-free")
    assert double_free.fixed and double_free.origin is FixOrigin.INTRODUCED
    assert {c.compound for c in double_free.configs} == {True}
    assert double_free.evidence is not None and double_free.evidence.trace  # the race at the commit
    [charge_leak] = problems(result, "charge-leak")
    assert not charge_leak.fixed and charge_leak.origin is FixOrigin.OLDER
    assert {c.compound for c in charge_leak.configs} == {False}


@pytest.fixture(scope="module")
def history_tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("history") / "linux"
    return path, build_history(path, seed_thread(), HISTORY)


# ------------------------------------------------------------------ the tree's history


def test_v2_tag_verified_in_a_rebased_tree_found_by_title(history_tree: tuple[Path, list[str]]) -> None:
    tree, commits = history_tree
    review = build_review(seed_thread(), Config(), tree=tree)
    result = fixes_of(review)
    assert_seed_verdict(result)
    named = result.tags[0].commit
    # The tree is "rebased": its commit has another id than the tag's, so it is found by title.
    assert named is not None and named.found == "tree-title"
    assert named.commit.sha == commits[2] and named.before == commits[1]
    [charge_leak] = problems(result, "charge-leak")
    # Older: the first version of the function leaked the charge already.
    assert charge_leak.since is not None and charge_leak.since.sha == commits[0]
    assert "present at " + commits[1][:12] + " already" in charge_leak.why
    assert not result.suggestions  # a verified tag needs no other
    lines = describe_fixes(result)
    assert lines[0].startswith("Fixes: e320d3012d25 mm/page_alloc.c") and "verified" in lines[0]
    assert any(line.strip().startswith("leaves charge-leak") and "older than the named commit" in line
               for line in lines)
    # beside each trailer of v2 (the TUI, a draft reply): its own lines
    trailers = {t.name + ": " + t.value: t.value for t in revision(review, V2).revision.trailers}
    beside = {line: describe_tag(result, value) for line, value in trailers.items()}
    assert beside["Fixes: e320d3012d25 " + NAMED_TITLE][0] == lines[0]
    assert beside["Cc: <stable@vger.kernel.org> # 5.10+"][0].endswith("not checked")  # no release tags here
    assert beside["Reported-by: Hugh Dickins <hughd@google.com>"] == []


def test_draft_reply_quotes_the_tag_with_its_verdict(history_tree: tuple[Path, list[str]]) -> None:
    """The draft answering v2 quotes its Fixes: line, then what the history showed of it."""
    from reviewer.drafts import compose_reply
    from reviewer.model import Address

    tree, _commits = history_tree
    review = build_review(seed_thread(), Config(), tree=tree)
    carrier = revision(review, V2).revision.message_id
    body = compose_reply(review, sender=Address("A Reviewer", "reviewer@example.org"),
                         reply_to=carrier).get_content()
    lines = body.split("\n")
    # the last quote of the tag: the first is v2's own, in the block on its problems
    at = max(i for i, line in enumerate(lines) if line == "> Fixes: e320d3012d25 " + NAMED_TITLE)
    verdict = " ".join(lines[at + 2 : at + 4])
    assert verdict.startswith("Fixes: e320d3012d25 mm/page_alloc.c") and "verified" in verdict
    block = "\n".join(lines[at : lines.index("", at + 2)])
    assert "fixes double-free" in block and "introduced by the named commit" in block
    assert "leaves charge-leak" in " ".join(block.split()) and "older than the named commit" in block
    assert all(len(line) <= 72 for line in lines if not line.startswith(">"))


def test_tui_shows_the_verdict_under_the_tag_line(history_tree: tuple[Path, list[str]]) -> None:
    """In the TUI's message pane, v2's Fixes: line is followed by what the history showed."""
    from _tui_env import drive, plain, replay, settle
    from textual.pilot import Pilot
    from textual.widgets import Static

    from reviewer.pipeline import OpenedThread
    from reviewer.revisions import find_revisions
    from reviewer.tui import ReviewerApp
    from reviewer.tui.screens.main import MainScreen
    from reviewer.tui.widgets.message_pane import MessagePane

    tree, _commits = history_tree
    thread = seed_thread()
    review = build_review(thread, Config(), tree=tree)
    app = ReviewerApp(OpenedThread(thread, tuple(find_revisions(thread))), analyse=replay([review]))
    carrier = revision(review, V2).revision.message_id

    async def script(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: app.state.complete)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.select(carrier)
        await pilot.pause()
        pane = screen.query_one(MessagePane)
        widgets = pane.shown()
        # one under the Fixes: line, one under the Cc: stable hint
        check, stable = [w for w in widgets if w.has_class("tag-check")]
        assert isinstance(check, Static) and isinstance(stable, Static)
        assert plain(stable).startswith("Cc: <stable@vger.kernel.org> # 5.10+")
        text = plain(check)
        assert text.startswith("Fixes: e320d3012d25 mm/page_alloc.c") and "verified" in text
        assert "fixes double-free" in text and "leaves charge-leak" in text
        # right under the run of lines that ends with the tag
        body = widgets[widgets.index(check) - 1]
        assert isinstance(body, Static)
        assert plain(body).rstrip().endswith("Fixes: e320d3012d25 " + NAMED_TITLE)

    drive(app, script)


def test_tag_found_by_id(tmp_path: Path) -> None:
    commits = build_history(tmp_path / "linux", seed_thread(), HISTORY)
    own = commits[2][:12].encode()
    thread = seed_thread((TAG_LINE, b"Fixes: " + own + b' ("' + NAMED_TITLE.encode() + b'")\n'))
    result = fixes_of(build_review(thread, Config(), tree=tmp_path / "linux"))
    assert_seed_verdict(result)
    assert result.tags[0].commit is not None and result.tags[0].commit.found == "tree-id"


def test_wrong_tag_is_not_reproduced_and_the_right_commit_is_offered(tmp_path: Path) -> None:
    """The tag names an unrelated older commit: no problem v2 fixes is present there."""
    commits = build_history(tmp_path / "linux", seed_thread(), HISTORY)
    unrelated = commits[1][:12].encode()
    thread = seed_thread((TAG_LINE, b'Fixes: ' + unrelated + b' ("Documentation: notes on the allocator")\n'))
    result = fixes_of(build_review(thread, Config(), tree=tmp_path / "linux"))
    [tag] = result.tags
    assert tag.verdict is TagVerdict.NOT_REPRODUCED
    fixed = [p for p in tag.problems if p.fixed]
    assert fixed and all(p.origin is FixOrigin.NOT_REPRODUCED for p in fixed)
    assert [s.commit.sha for s in result.suggestions] == [commits[2]]
    assert "not reproduced" in describe_fixes(result)[0]


def test_missing_tag_is_suggested_within_the_bisection_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20 commits that each change __free_pages(); the 11th brings in the double free."""
    steps = [Step("mm: the page allocator", BEFORE)]
    steps += [Step(f"mm: comment {k}", with_comment(BEFORE, f"before, step {k}")) for k in range(1, 10)]
    steps += [Step(NAMED_TITLE, AT)]
    steps += [Step(f"mm: comment {k}", with_comment(AT, f"after, step {k}")) for k in range(11, 19)]
    steps += [Step("mm: drop the comments", AT)]
    assert len(steps) == 20
    commits = build_history(tmp_path / "linux", seed_thread(), steps)
    thread = seed_thread((TAG_LINE, b""))
    simulated: list[str] = []
    base_runs: list[int] = []
    real = probe_module.simulate_revision

    def counting(revision_id: str, *args: Any, **kwargs: Any) -> Any:
        simulated.append(revision_id)
        cells = len(kwargs["cache"].cells)
        result = real(revision_id, *args, **kwargs)
        base_runs.append(len(kwargs["cache"].cells) - cells)  # the base's cells the cache lacked
        return result

    monkeypatch.setattr(probe_module, "simulate_revision", counting)
    result = fixes_of(build_review(thread, Config(), tree=tmp_path / "linux"))
    assert not result.tags
    [suggestion] = result.suggestions
    assert suggestion.commit.sha == commits[10] and suggestion.commit.title == NAMED_TITLE
    assert suggestion.commit.fixes_line == f'Fixes: {commits[10][:12]} ("{NAMED_TITLE}")'
    assert suggestion.commits == 20
    bound = math.ceil(math.log2(20)) + 1
    assert suggestion.simulations <= bound
    # Every simulation the stage ran in this review (v1 fixes one of the same problems and is
    # bisected first: v2 reuses its versions).
    assert 0 < len(simulated) <= bound, simulated
    assert set(base_runs) == {0}  # the base side of each came from the pipeline's simulations
    assert {r.split("@")[0] for r in simulated} <= {revision_id(thread, "v1"), revision_id(thread, V2)}
    assert {p.property for p in suggestion.problems} >= {"double-free", "stale-read"}
    assert all(p.fixed and p.origin is FixOrigin.INTRODUCED for p in suggestion.problems)
    assert f"absent at {commits[9][:12]}, present at {commits[10][:12]}" in suggestion.problems[0].why
    assert describe_fixes(result)[0] == f"suggested: {suggestion.commit.fixes_line}"
    assert any(f"bisected: {suggestion.simulations} versions simulated over 20 commits" in line
               for line in describe_fixes(result))


def revision_id(thread: Any, label: str) -> str:
    from reviewer.revisions import find_revisions

    return next(r.id for r in find_revisions(thread) if r.label == label)


def test_older_problem_names_the_earliest_version_tried_when_the_walk_runs_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    steps = [Step("mm: the page allocator", BEFORE)]
    steps += [Step(f"mm: comment {k}", with_comment(BEFORE, f"step {k}")) for k in range(1, 5)]
    steps += [Step(NAMED_TITLE, AT)]
    commits = build_history(tmp_path / "linux", seed_thread(), steps)
    monkeypatch.setattr("reviewer.fixes._stage.HISTORY_LIMIT", 2)
    result = fixes_of(build_review(seed_thread(), Config(), tree=tmp_path / "linux"))
    [charge_leak] = problems(result, "charge-leak")
    assert charge_leak.origin is FixOrigin.OLDER and charge_leak.since is None
    # the walk from the named commit's parent took 2 commits; the one before them is the earliest tried
    assert charge_leak.earliest is not None and charge_leak.earliest.sha == commits[2]
    assert "the earliest version tried" in charge_leak.why


def test_no_simulator_no_verdict(history_tree: tuple[Path, list[str]]) -> None:
    tree, _ = history_tree
    cfg = Config()
    cfg = replace(cfg, simulator=replace(cfg.simulator, enabled=False))
    [tag] = fixes_of(build_review(seed_thread(), cfg, tree=tree)).tags
    assert tag.verdict is TagVerdict.NOT_CHECKED and tag.notes == ("the simulator is disabled",)
    assert tag.commit is None


def test_without_tree_or_lore_the_tag_is_not_checked() -> None:
    [tag] = fixes_of(build_review(seed_thread(), Config(), tree=None)).tags
    assert tag.verdict is TagVerdict.NOT_CHECKED
    assert any("lore" in n for n in tag.notes)


def test_a_one_commit_tree_checks_nothing_and_says_so(tmp_path: Path) -> None:
    """A tree imported as one commit has no history: the tag is not checked, no commit is
    offered (nothing was ever seen absent), and the note does not call the tag wrong."""
    tree = build_test_tree(seed_thread(), tmp_path / "linux")
    result = fixes_of(build_review(seed_thread(), Config(), tree=tree))
    [tag] = result.tags
    assert tag.verdict is TagVerdict.NOT_CHECKED and not result.suggestions
    [note] = result.notes
    assert note.startswith("the tag could not be checked; no other commit offered")
    assert "one commit" in note and "does not hold" not in note


# ------------------------------------------------------------------ lore


@pytest.fixture
def lore_with_posting(lore_server: LoreServer) -> LoreServer:
    lore_server.add_mbox(POSTING)
    return lore_server


def _json(cli: Cli, *argv: str) -> dict[str, Any]:
    result = cli.run(*argv, "--format", "json")
    assert result.status in (0, 1), result.err
    doc: dict[str, Any] = json.loads(result.out)
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(doc)
    return doc


def _v2_fixes(doc: dict[str, Any]) -> dict[str, Any]:
    fixes: dict[str, Any] = next(r for r in doc["revisions"] if r["label"] == V2)["fixes"]
    return fixes


def _assert_seed_json(fixes: dict[str, Any]) -> None:
    [tag] = fixes["tags"]
    assert tag["verdict"] == "verified" and tag["sha"] == "e320d3012d25"
    by = {(p["scenario"], p["property"], p["fixed"]): p for p in tag["problems"]}
    double_free = by[("speculative-lookup", "double-free", True)]
    assert double_free["origin"] == "introduced" and double_free["evidence"]["trace"]
    assert by[("speculative-lookup", "charge-leak", False)]["origin"] == "older"


@pytest.mark.parametrize("with_tree", [False, True], ids=["no-tree", "one-commit-tree"])
def test_v2_tag_verified_from_the_posting_on_lore(cli: Cli, lore_with_posting: LoreServer, tmp_path: Path,
                                                  with_tree: bool) -> None:
    argv = [SEED_ROOT]
    if with_tree:  # a tree without the named commit in its history
        argv += ["--tree", str(build_test_tree(seed_thread(), tmp_path / "linux"))]
    fixes = _v2_fixes(_json(cli, *argv))
    _assert_seed_json(fixes)
    commit = fixes["tags"][0]["commit"]
    assert commit["found"] == "lore" and commit["where"] == "fixes-posting-20200926152220@reviewer.invalid"
    assert any("q=s%3A%22mm%2Fpage_alloc.c%3A+fix+freeing" in p for p in lore_with_posting.paths())


def test_lore_answer_is_cached_for_offline_use(cli: Cli, lore_with_posting: LoreServer) -> None:
    _json(cli, SEED_ROOT)
    asked = len(lore_with_posting.paths())
    lore_with_posting.stop()
    offline = _json(cli, SEED_ROOT, "--offline")
    _assert_seed_json(_v2_fixes(offline))
    assert len(lore_with_posting.paths()) == asked


def test_offline_without_cache_says_so(cli: Cli, lore_server: LoreServer) -> None:
    """The thread is cached, the posting's search is not: the tag is not checked, and why."""
    _json(cli, SEED_ROOT, "--no-simulate")  # caches the thread only (no Fixes: lookup without the simulator)
    [tag] = _v2_fixes(_json(cli, SEED_ROOT, "--offline"))["tags"]
    assert tag["verdict"] == "not-checked"
    assert any("not in cache (offline)" in n for n in tag["notes"])


def test_text_and_markdown_show_the_verdict(cli: Cli, lore_with_posting: LoreServer) -> None:
    text = cli.run(SEED_ROOT).out
    assert "Fixes: e320d3012d25 mm/page_alloc.c: fix freeing non-compound pages — verified" in text
    assert "Fixes: e320d3012d25 verified" in text  # the summary line
    md = cli.run(SEED_ROOT, "--format", "markdown").out
    assert "- Fixes: e320d3012d25 mm/page\\_alloc.c: fix freeing non-compound pages — verified" in md


# ------------------------------------------------------------------ the tags and the git commands


def test_tags_parsed_from_trailers() -> None:
    def tag(value: str) -> tuple[str, str]:
        [t] = fixes_tags([Trailer("Fixes", value, 0)])
        return t.sha, t.title

    assert tag('1a2B3c4d5e6f ("mm: a title")') == ("1a2b3c4d5e6f", "mm: a title")
    assert tag("e320d3012d25 mm/page_alloc.c: fix freeing non-compound pages") == (
        "e320d3012d25", NAMED_TITLE)
    assert tag('("no hash")') == ("", "no hash")
    assert fixes_tags([Trailer("Reviewed-by", "x", 0), Trailer("Fixes", "abcd x", 1), Trailer("Fixes", "abcd x", 2)]) \
        == fixes_tags([Trailer("Fixes", "abcd x", 0)])


def _poisoned(tree: Path) -> Callable[[], list[str]]:
    """Configure the user's repository to run a marker script from every hook a git log or a
    blob read could reach: textconv and external diff drivers, gpg for signatures, a pager."""
    marker = tree.parent / "ran"
    script = tree.parent / "evil.sh"
    script.write_text(f"#!/bin/sh\necho \"$0 $*\" >> {marker}\nexit 0\n")
    script.chmod(0o755)
    (tree / ".gitattributes").write_text("*.c diff=evil\n")
    subprocess.run(["git", "-C", str(tree), "add", ".gitattributes"], check=True)
    for key, value in [("diff.evil.textconv", str(script)), ("diff.evil.command", str(script)),
                       ("diff.external", str(script)), ("log.showSignature", "true"),
                       ("gpg.program", str(script)), ("core.pager", str(script)),
                       ("core.fsmonitor", str(script))]:
        subprocess.run(["git", "-C", str(tree), "config", key, value], check=True)
    return lambda: marker.read_text().splitlines() if marker.exists() else []


def test_history_walk_runs_nothing_from_the_repository(tmp_path: Path) -> None:
    """The stage alone, on reviews made before the repository was set up to run a script (the
    apply and check stages are not this test's business)."""
    tree = tmp_path / "linux"
    commits = build_history(tree, seed_thread(), HISTORY)
    # A title that would be an option or shell syntax if it were anything but data.
    hostile = seed_thread((TAG_LINE, b'Fixes: 0123456789ab ("--output=/tmp/x $(touch pwned) ; '
                           + NAMED_TITLE.encode() + b'")\n'))
    reviews = [revision(build_review(thread, Config(), tree=tree), V2) for thread in (hostile, seed_thread())]
    ran = _poisoned(tree)
    stage = FixesStage(Config(), tree=tree, scratch=tmp_path / "scratch", sim_cache=SimCache())
    assert reviews[0].applied is not None
    base_id = f"base-{reviews[0].applied.base[:12]}"
    hostile_result, plain_result = (stage.review(rr, base_id=base_id) for rr in reviews)
    assert ran() == []
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()
    assert hostile_result is not None and plain_result is not None
    # no such id, no such title: looked up as data, and not found
    assert hostile_result.tags[0].verdict is TagVerdict.NOT_CHECKED
    # the history walks (the parent's, for the older charge leak) ran and ran nothing either
    assert plain_result.tags[0].verdict is TagVerdict.VERIFIED
    [charge_leak] = problems(plain_result, "charge-leak")
    assert charge_leak.since is not None and charge_leak.since.sha == commits[0]


def test_json_of_every_fixes_shape_validates(history_tree: tuple[Path, list[str]], tmp_path: Path) -> None:
    tree, _ = history_tree
    doc = review_to_json(build_review(seed_thread(), Config(), tree=tree))
    jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(doc)
    v1 = next(r for r in doc["revisions"] if r["label"] == "v1")["fixes"]
    assert v1 is None or {"tags", "suggestions", "notes"} <= set(v1)
    tag = _v2_fixes(doc)["tags"][0]
    older = next(p for p in tag["problems"] if p["origin"] == "older")
    assert older["since"]["sha"] and older["configs"][0]["key"]
    broken = json.loads(json.dumps(doc))
    _v2_fixes(broken)["tags"][0]["verdict"] = "plausible"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(json.loads(schema_path().read_text())).validate(broken)


# ------------------------------------------------------------------ Cc: stable # 5.10+


@pytest.mark.parametrize(("tags", "verdict"), [
    ({"v5.9": 0, "v5.10": 2}, TagVerdict.VERIFIED),  # v5.10 is the first release with the double free
    ({"v5.9": 2, "v5.10": 2}, TagVerdict.TOO_LATE),  # v5.9 has it too: 5.10+ is too narrow
    ({"v5.8": 0, "v5.10": 0}, TagVerdict.NOT_REPRODUCED),  # v5.10 does not have it
    ({"v5.9": 0}, TagVerdict.NOT_CHECKED),  # no v5.10 tag
])
def test_stable_hint_against_release_tags(tmp_path: Path, tags: dict[str, int], verdict: TagVerdict) -> None:
    tree = tmp_path / "linux"
    commits = build_history(tree, seed_thread(), HISTORY)
    for name, index in tags.items():
        subprocess.run(["git", "-C", str(tree), "tag", name, commits[index]], check=True)
    subprocess.run(["git", "-C", str(tree), "tag", "v5.10-rc1", commits[0]], check=True)  # not a release
    result = fixes_of(build_review(seed_thread(), Config(), tree=tree))
    [hint] = result.stable
    assert hint.tag == "<stable@vger.kernel.org> # 5.10+" and hint.named.title == "v5.10"
    assert hint.verdict is verdict
    if verdict is TagVerdict.VERIFIED:
        assert hint.commit is not None and hint.commit.before == commits[0] and hint.commit.found == "tree-tag"
        [double_free] = [p for p in hint.problems if p.property == "double-free" and p.scenario == "speculative-lookup"]
        assert double_free.origin is FixOrigin.INTRODUCED and "absent at v5.9, present at v5.10" in double_free.why
    if verdict is TagVerdict.NOT_CHECKED:
        assert hint.notes == (f"{tree}: no release tag v5.10",)
    assert any(line.startswith("Cc: <stable@vger.kernel.org> # 5.10+ — ") for line in describe_fixes(result))


def test_a_tree_that_is_no_repository_is_a_note(tmp_path: Path) -> None:
    """The stage is told of a tree that is no git repository: it says so instead of failing."""
    v2 = revision(build_review(seed_thread(), Config(), tree=None), V2)
    stage = FixesStage(Config(), tree=tmp_path, scratch=tmp_path / "scratch", sim_cache=SimCache())
    assert v2.applied is not None
    result = stage.review(v2, base_id=f"base-{v2.applied.base[:12]}")
    assert result is not None and result.tags[0].verdict is TagVerdict.NOT_CHECKED
    assert result.stable[0].notes == (f"{tmp_path}: not a git repository, so no release tags to read",)
