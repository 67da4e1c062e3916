"""Tree-wide facts kept per tree, worked out for revisions from their base, and a second review
that runs no tree-wide ``git grep``; revisions the tree already has.

Trees are built from the repository's own seed fixture (``reviewer.testtree``): no ../shared.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from _lore_server import FIXTURES

from reviewer import pipeline
from reviewer._config import CacheConfig, Config, SimulatorConfig
from reviewer._mbox import split_mbox
from reviewer.model import Revision, Thread
from reviewer.pipeline import build_review
from reviewer.revisions import find_revisions
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread
from reviewer.trees import FactStore, Git, TreeSearch, apply_all, open_repo
from reviewer.trees._search import in_pathspec

ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
       "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}


def _git(repo: Path, *args: str, input: str | None = None) -> str:
    import os

    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          input=input, env={**os.environ, **ENV}, check=True).stdout.strip()


@pytest.fixture(scope="module")
def thread() -> Thread:
    return build_thread(split_mbox((FIXTURES / "seed.mbox").read_bytes()))


@pytest.fixture(scope="module")
def revisions(thread: Thread) -> tuple[Revision, ...]:
    return find_revisions(thread)


@pytest.fixture
def tree(thread: Thread, tmp_path: Path) -> Path:
    return build_test_tree(thread, tmp_path / "linux")


@pytest.fixture
def git_log(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, ...]]]:
    """Every git command run through the one runner, as its argument list."""
    calls: list[tuple[str, ...]] = []
    real = Git.run

    def run(self: Git, args: Sequence[str], **kwargs: Any) -> Any:
        calls.append(tuple(args))
        return real(self, args, **kwargs)

    monkeypatch.setattr(Git, "run", run)
    yield calls


def _tree_wide_greps(calls: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """greps whose pathspec does not name files (``:(literal)<path>``): whole-tree passes."""
    greps = [c for c in calls if c[:1] == ("grep",)]
    return [c for c in greps if not any(a.startswith(":(literal)") for a in c[c.index("--") + 1:])]


def test_revision_answers_are_the_base_answers_plus_the_touched_paths(
    tree: Path, revisions: tuple[Revision, ...], tmp_path: Path, git_log: list[tuple[str, ...]]
) -> None:
    (v1,) = apply_all(revisions[:1], tree, thread_key="t")
    assert v1.applied and v1.commit
    search = TreeSearch(open_repo(tree), FactStore(tmp_path / "facts"))
    direct = TreeSearch(open_repo(tree))  # no base: a whole-tree grep of the revision's commit
    for args in (("-F", "-e", "__free_pages", "-e", "PageHead"), ("-w", "-e", "put_page_testzero")):
        for files_only in (False, True):
            derived = search.grep(v1.commit, args, files_only=files_only, base=v1.base)
            assert derived == direct.grep(v1.commit, args, files_only=files_only)
        assert search.grep(v1.commit, args, base=v1.base) != search.grep(v1.base, args)  # v1 changed them
    # Per (tree, owner, version, question): asked again, no git; another owner asks git again.
    git_log.clear()
    search.grep(v1.base, ("-w", "-e", "put_page_testzero"))
    assert not [c for c in git_log if c[:1] == ("grep",)]
    search.grep(v1.base, ("-w", "-e", "put_page_testzero"), owner=("check", "v2"))
    assert len(_tree_wide_greps(git_log)) == 1


def test_pathspecs_select_as_git_does() -> None:
    assert in_pathspec("mm/page_alloc.c", ["*.c", "*.h"]) and not in_pathspec("mm/Kconfig", ["*.c"])
    assert in_pathspec("mm/page_alloc.c", ["mm"]) and in_pathspec("mm/page_alloc.c", ["mm/"])
    assert not in_pathspec("mmx/a.c", ["mm"]) and in_pathspec("anything", [])


def test_a_second_review_of_the_same_thread_runs_no_tree_wide_grep(
    thread: Thread, tree: Path, tmp_path: Path, git_log: list[tuple[str, ...]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tree / "drivers").mkdir()
    (tree / "drivers" / "x.c").write_text("void *a(void) { return alloc_pages(__GFP_COMP, 2); }\n"
                                          "void f(struct page *p) { __free_pages(p, compound_order(p)); }\n")
    _git(tree, "add", "drivers/x.c")
    _git(tree, "commit", "-q", "-m", "a caller")
    cfg = replace(Config(), cache=CacheConfig(tmp_path / "cache"),
                  simulator=SimulatorConfig(orders=(1,)))
    first = build_review(thread, cfg, tree=tree)
    assert len(_tree_wide_greps(git_log)) >= 1  # the base's, once: revisions derive theirs
    whole_tree = {c[c.index("--") - 1] for c in _tree_wide_greps(git_log)}
    assert whole_tree == {_git(tree, "rev-parse", "HEAD")}, "only the base is grepped whole"
    assert list((tmp_path / "cache" / "trees").rglob("*.json"))

    git_log.clear()
    simulated: list[str] = []
    real_simulate = pipeline.simulate_revision

    def counting_simulate(revision_id: str, *args: Any, **kwargs: Any) -> Any:
        simulated.append(revision_id)
        return real_simulate(revision_id, *args, **kwargs)

    monkeypatch.setattr(pipeline, "simulate_revision", counting_simulate)
    second = build_review(thread, cfg, tree=tree)
    assert not [c for c in git_log if c[:1] == ("grep",)]
    assert [r.findings for r in second.revisions] == [r.findings for r in first.revisions]
    # The simulator's verdicts are kept too (same functions, trees, settings and code).
    assert simulated == []
    assert [r.sim_verdicts for r in second.revisions] == [r.sim_verdicts for r in first.revisions]
    assert any(v.violations and v.violations[0].trace for r in second.revisions for v in r.sim_verdicts)
    other = replace(cfg, simulator=replace(cfg.simulator, max_steps=4000))
    build_review(thread, other, tree=tree)
    assert len(simulated) == len(find_revisions(thread))  # another setting: simulated again
    assert any(f.check == "free-pages-on-compound" for r in second.revisions for f in r.findings)


def test_a_damaged_fact_file_is_worked_out_again(tmp_path: Path) -> None:
    store = FactStore(tmp_path)
    from reviewer.trees import FactKey

    key = FactKey("ab" * 20, "check", "1", ("grep", "x"))
    store.put(key, [["a.c", 1, "x"]])
    (path,) = list(tmp_path.rglob("*.json"))
    assert FactStore(tmp_path).get(key) == [["a.c", 1, "x"]]
    path.write_text('{"key": "truncated')
    assert FactStore(tmp_path).get(key) is None
    assert FactStore(tmp_path).get(replace(key, version="2")) is None


# --------------------------------------------------------------------------- already in the tree


def _commit_revision_on_master(tree: Path, revision: Revision, *, subject: str | None = None,
                               extra: str = "") -> str:
    """Make the branch carry ``revision`` (optionally under another subject, or with more)."""
    (applied,) = apply_all([revision], tree, thread_key="setup")
    assert applied.applied and applied.commit
    _git(tree, "reset", "-q", "--hard", applied.commit)
    if subject is not None or extra:
        _git(tree, "reset", "-q", "--soft", "HEAD^")
        if extra:
            with (tree / "mm" / "page_alloc.c").open("a") as f:
                f.write(extra)
        _git(tree, "commit", "-q", "-a", "-m", subject or revision.title)
    return _git(tree, "rev-parse", "HEAD")


def test_a_revision_the_branch_has_is_reviewed_on_the_branch_without_it(
    tree: Path, revisions: tuple[Revision, ...]
) -> None:
    v1 = revisions[0]
    merged = _commit_revision_on_master(tree, v1)
    (result,) = apply_all([v1], tree, thread_key="t")
    assert result.applied and result.already_in is not None
    assert (result.already_in.commit, result.already_in.found_by) == (merged, "patch-id")
    assert result.base_how == "branch HEAD with the revision reverse-applied"
    # The base is the branch with v1 taken out: the tree it was written against.
    assert _git(tree, "rev-parse", f"{result.base}^{{tree}}") == _git(tree, "rev-parse", "HEAD^^{tree}")
    assert _git(tree, "rev-parse", f"{result.commit}^{{tree}}") == _git(tree, "rev-parse", "HEAD^{tree}")
    assert [f.name for f in result.functions] == ["__free_pages"]
    fn = result.functions[0]
    assert fn.pre and fn.pre.complete and fn.post and fn.post.complete
    assert "put_page_testzero" in fn.pre.source and fn.post.source != fn.pre.source
    assert [o.offset for o in result.offsets] == [0, 0]


def test_already_in_found_by_subject_or_not_at_all(tree: Path, revisions: tuple[Revision, ...]) -> None:
    v1 = revisions[0]
    merged = _commit_revision_on_master(tree, v1, extra="/* and more in the same commit */\n")
    (result,) = apply_all([v1], tree, thread_key="t")
    assert result.already_in is not None
    assert (result.already_in.commit, result.already_in.found_by) == (merged, "subject")

    _git(tree, "commit", "-q", "--amend", "-m", "something else entirely")
    (result,) = apply_all([v1], tree, thread_key="t")
    assert result.applied and result.already_in is not None and result.already_in.commit is None


def test_a_big_tree_is_grepped_as_two_halves_with_the_same_answer(
    tree: Path, monkeypatch: pytest.MonkeyPatch, git_log: list[tuple[str, ...]]
) -> None:
    import reviewer.trees._search as search_module

    for top in ("arch", "drivers", "fs"):
        (tree / top).mkdir()
        (tree / top / "a.c").write_text(f"/* {top} */ __free_pages(p, 0);\n")
    _git(tree, "add", "-A")
    _git(tree, "commit", "-q", "-m", "more folders")
    head = _git(tree, "rev-parse", "HEAD")
    whole = TreeSearch(open_repo(tree)).grep(head, ("-F", "-e", "__free_pages"))
    monkeypatch.setattr(search_module, "_SPLIT_FROM", 1)
    monkeypatch.setattr(search_module.os, "cpu_count", lambda: 2)
    search = TreeSearch(open_repo(tree))
    halves = search.halves(head)
    assert len(halves) == 2 and sorted(sum(halves, [])) == sorted(
        f":(literal){n}" for n in _git(tree, "ls-tree", "--name-only", "HEAD").split())
    assert search.grep(head, ("-F", "-e", "__free_pages")) == whole
    assert [h.path for h in whole] == sorted(h.path for h in whole) and len(whole) >= 4


def test_verdicts_stopped_by_a_budget_are_not_kept(tmp_path: Path) -> None:
    from reviewer._simstore import SimulationKey, remembered_simulation
    from reviewer.model import SimConfig, SimVerdict, Status, TraceStep, Violation

    step = TraceStep(0, "owner", "mm/page_alloc.c", 5093, "if (!PageHead(page))", "read")
    found = SimVerdict("r", "shared-holders", SimConfig(1, False, True), "violation", 12,
                       (Violation("double-free", Status.INTRODUCED, (1,), "page 1 freed twice", (step,),
                                  ("__free_pages",), ("PageHead",), ((0, ("__free_pages",)),)),))
    stopped = replace(found, violations=(replace(found.violations[0], property="budget-exceeded"),))
    key = SimulationKey("r", "base-x", (), "a" * 40, "b" * 40, SimulatorConfig(), (("CONFIG_MEMCG", "True"),))
    runs: list[int] = []

    def simulate(verdict: SimVerdict) -> Any:
        runs.append(1)
        return (verdict,), ()

    store = FactStore(tmp_path)
    assert remembered_simulation(store, key, lambda: simulate(stopped)) == ((stopped,), ())
    assert remembered_simulation(FactStore(tmp_path), key, lambda: simulate(found)) == ((found,), ())
    assert len(runs) == 2
    # Kept now, and read back equal, enums and nested tuples included.
    assert remembered_simulation(FactStore(tmp_path), key, lambda: simulate(stopped)) == ((found,), ())
    assert len(runs) == 2
