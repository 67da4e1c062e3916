"""Applying the seed's revisions to a real git tree built from its pre-images, and without one."""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from reviewer.model import AppliedRevision, Revision, Thread
from reviewer.revisions import find_revisions
from reviewer.sim.resolve import TreeSource as SourceLookup
from reviewer.testtree import build_test_tree
from reviewer.trees import apply_all, apply_revision, find_functions
from reviewer.trees._functions import function_at


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout


def _snapshot(repo: Path) -> dict[str, object]:
    """Everything of the user's checkout that applying must not change, byte for byte."""
    files = {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    git_dir = repo / ".git"
    return {
        "status": _git(repo, "status", "--porcelain=v2", "--branch", "--untracked-files=all"),
        "HEAD file": (git_dir / "HEAD").read_bytes(),
        "HEAD": _git(repo, "rev-parse", "HEAD"),
        "index": (git_dir / "index").read_bytes(),
        "config": (git_dir / "config").read_bytes(),
        "logs": sorted(str(p.relative_to(git_dir)) for p in (git_dir / "logs").rglob("*")),
        "branches": _git(repo, "for-each-ref", "refs/heads", "refs/tags", "refs/remotes"),
        "stash": _git(repo, "stash", "list", "--format=%H %s"),
        "files": files,
    }


@pytest.fixture(scope="module")
def seed_revisions(seed_thread: Thread) -> tuple[Revision, ...]:
    return find_revisions(seed_thread)


@pytest.fixture(scope="module")
def seed_tree(seed_thread: Thread, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_test_tree(seed_thread, tmp_path_factory.mktemp("tree") / "linux")


@pytest.fixture(scope="module")
def applied(
    seed_revisions: tuple[Revision, ...],
    seed_tree: Path,
    seed_thread: Thread,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[AppliedRevision, ...]:
    before = _snapshot(seed_tree)
    results = apply_all(
        seed_revisions,
        seed_tree,
        thread_key=seed_thread.root,
        scratch=tmp_path_factory.mktemp("scratch"),
    )
    assert _snapshot(seed_tree) == before
    return results


def test_user_checkout_is_byte_for_byte_unchanged(
    seed_revisions: tuple[Revision, ...], seed_tree: Path, applied: tuple[AppliedRevision, ...]
) -> None:
    before = _snapshot(seed_tree)
    # The checkout really has state to lose: staged, unstaged, untracked, stash, branches.
    status = str(before["status"])
    assert "Makefile" in status and "README" in status and "NOTES.txt" in status
    assert before["stash"] and "topic" in str(before["branches"])
    apply_all(seed_revisions, seed_tree, thread_key="again", scratch=seed_tree.parent / "s2")
    assert _snapshot(seed_tree) == before
    refs = _git(seed_tree, "for-each-ref", "--format=%(refname)", "refs/reviewer").split()
    assert len(refs) == 6 and all(r.startswith("refs/reviewer/") for r in refs)


def test_all_three_revisions_apply_to_the_test_tree(
    seed_revisions: tuple[Revision, ...], seed_tree: Path, applied: tuple[AppliedRevision, ...]
) -> None:
    head = _git(seed_tree, "rev-parse", "master").strip()
    for revision, result in zip(seed_revisions, applied, strict=True):
        assert result.applied, result.error
        assert result.revision_id == revision.id and not result.synthetic
        assert (result.base, result.base_how) == (head, "branch HEAD")
        assert result.ref and _git(seed_tree, "rev-parse", result.ref).strip() == result.commit
        assert _git(seed_tree, "rev-parse", f"{result.commit}^").strip() == head
        assert result.files == ("mm/page_alloc.c",)
    v1, v2, sketch = applied
    assert [o.offset for o in v1.offsets] == [0, 0] and v1.apply_options == ()
    assert [o.offset for o in v2.offsets] == [0, 0]
    # The sketch says line 5081; in this tree __free_pages is where v1 says (5126): offset 45.
    assert [(o.path, o.hunk, o.offset) for o in sketch.offsets] == [("mm/page_alloc.c", 1, 45)]
    assert sketch.apply_options == ("--ignore-whitespace",)  # its context lost its tabs
    post = _git(seed_tree, "show", f"{sketch.commit}:mm/page_alloc.c")
    assert "tail->memcg_data = page->memcg_data;" in post


def test_commits_are_reproducible(
    seed_revisions: tuple[Revision, ...],
    seed_tree: Path,
    seed_thread: Thread,
    applied: tuple[AppliedRevision, ...],
) -> None:
    again = apply_revision(seed_revisions[1], seed_tree, thread_key=seed_thread.root)
    assert again.commit == applied[1].commit
    message = _git(seed_tree, "log", "-1", "--format=%an|%ad|%s", "--date=iso", again.commit or "")
    assert message.startswith(
        "Johannes Weiner|2021-03-19 02:17:00 -0400|mm: page_alloc: fix allocation imbalances"
    )


def test_touched_functions_have_complete_pre_and_post_images(
    applied: tuple[AppliedRevision, ...],
) -> None:
    for result in applied:
        (fn,) = result.functions
        assert fn.name == "__free_pages" and fn.path == "mm/page_alloc.c"
        assert fn.pre is not None and fn.post is not None
        assert fn.pre.complete and fn.post.complete and not fn.pre.problems
        assert fn.pre.source.startswith(
            "void __free_pages(struct page *page, unsigned int order)\n{"
        )
        assert fn.pre.source.rstrip().endswith("}")
        assert "else if (!PageHead(page))" in fn.pre.source
        assert (fn.pre.start_line, fn.pre.end_line) == (5125, 5132)
    v1, v2, sketch = (r.functions[0].post for r in applied)
    assert v1 is not None and v2 is not None and sketch is not None
    assert "split_page_memcg(page, 1 << order);" in v1.source and "bool compound" not in v1.source
    assert "bool compound = PageHead(page);" in v2.source
    assert "#ifdef CONFIG_MEMCG" in sketch.source and sketch.start_line == 5125


def test_range_diffs_use_git_range_diff_on_the_private_commits(
    applied: tuple[AppliedRevision, ...],
) -> None:
    assert applied[0].range_diff == ""
    assert applied[1].range_diff.startswith(
        "vs v1: mm/page_alloc.c (__free_pages); diff-of-diffs +"
    )
    assert applied[1].range_diff.endswith("(git range-diff)")
    assert applied[2].range_diff.startswith(
        "vs v2 (inline, 23 Mar): mm/page_alloc.c (__free_pages)"
    )


BROKEN_DIFF = """diff --git a/mm/page_alloc.c b/mm/page_alloc.c
--- a/mm/page_alloc.c
+++ b/mm/page_alloc.c
@@ -5126,3 +5126,3 @@ void __free_pages(struct page *page, unsigned int order)
 {
-\tif (put_page_testzero_twice(page))
+\tif (put_page_testzero(page) && 1)
 \t\tfree_the_page(page, order);
"""


def test_a_revision_that_cannot_apply_is_reported_and_the_others_go_on(
    seed_revisions: tuple[Revision, ...], seed_tree: Path, tmp_path: Path
) -> None:
    broken = replace(
        seed_revisions[0],
        id="broken000000",
        label="broken",
        diff=BROKEN_DIFF,
        base_hints=replace(seed_revisions[0].base_hints, blobs=()),
    )
    results = apply_all(
        [seed_revisions[0], broken, seed_revisions[1]],
        seed_tree,
        thread_key="broken",
        scratch=tmp_path,
    )
    assert [r.applied for r in results] == [True, False, True]
    error = results[1].error
    assert error is not None and error.path == "mm/page_alloc.c" and error.hunk == 1
    assert "context not found" in error.reason
    assert "the base has no line 'if (put_page_testzero_twice(page))'" in error.reason
    assert "-C1" in error.reason  # every fallback was tried
    assert str(error).startswith("mm/page_alloc.c hunk #1: ")
    assert results[1].commit is None and results[1].ref is None


def test_without_a_tree_revisions_apply_to_a_synthetic_base(
    seed_revisions: tuple[Revision, ...], tmp_path: Path
) -> None:
    results = apply_all(seed_revisions, None, thread_key="no-tree", scratch=tmp_path / "synthetic")
    for result in results:
        assert result.applied and result.synthetic and result.base_how == "synthetic"
        assert result.repo_path == str(tmp_path / "synthetic")
        assert [f.name for f in result.functions] == ["__free_pages"]
    v1_fn, v2_fn, sketch_fn = (r.functions[0] for r in results)
    # v1's and v2's second hunks hold all of __free_pages; the sketch's hunk starts at "{" and
    # its signature comes whole from the hunk header, so its images are complete too.
    assert v1_fn.pre and v1_fn.pre.complete and v1_fn.post and v1_fn.post.complete
    assert v2_fn.pre and v2_fn.pre.complete
    assert sketch_fn.pre and sketch_fn.pre.complete and sketch_fn.pre.start_line == 5080
    assert sketch_fn.post and sketch_fn.post.complete
    assert sketch_fn.pre.source.startswith("void __free_pages(struct page *page, unsigned int order)\n{")
    assert [o.offset for o in results[2].offsets] == [0]


def test_revision_that_applies_neither_way_names_the_hunk_and_falls_back_only_when_asked(
    seed_revisions: tuple[Revision, ...], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q", "-b", "main")
    (other / "mm").mkdir()
    (other / "mm" / "page_alloc.c").write_text("int unrelated;\n")
    _git(other, "add", "-A")
    _git(other, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "x")
    v1 = seed_revisions[0]
    (result,) = apply_all([v1], other, thread_key="k", scratch=tmp_path / "s")
    assert not result.applied and not result.synthetic and result.already_in is None
    assert result.error is not None and (result.error.path, result.error.hunk) == ("mm/page_alloc.c", 1)
    assert "context not found" in result.error.reason
    assert result.error.reason.endswith("; nor in reverse")

    (result,) = apply_all([v1], other, thread_key="k", scratch=tmp_path / "s", synthetic_fallback=True)
    assert result.applied and result.synthetic and result.base_how == "synthetic"
    assert result.fallback.startswith(f"{other}: mm/page_alloc.c hunk #1: context not found")
    assert "nor in reverse" in result.fallback and "[tree] synthetic_fallback" in result.fallback
    sketch = seed_revisions[2]  # names no blobs: the tree is taken at its word, and it fails
    (result,) = apply_all([sketch], other, thread_key="k", scratch=tmp_path / "s")
    assert not result.applied and result.base_how == "branch HEAD" and result.error is not None


def test_base_found_by_blobs_and_by_base_commit(
    seed_revisions: tuple[Revision, ...], seed_tree: Path, tmp_path: Path
) -> None:
    v1 = seed_revisions[0]
    head = _git(seed_tree, "rev-parse", "master").strip()
    blob = _git(seed_tree, "rev-parse", "master:mm/page_alloc.c").strip()
    hints = replace(v1.base_hints.blobs[0], pre=blob[:12])
    by_blob = replace(v1, base_hints=replace(v1.base_hints, blobs=(hints,)))
    result = apply_revision(by_blob, seed_tree, thread_key="blobs")
    assert result.applied and (result.base, result.base_how) == (head, "blobs")
    by_commit = replace(v1, base_hints=replace(v1.base_hints, blobs=(), base_commit=head))
    result = apply_revision(by_commit, seed_tree, thread_key="commit", branch="topic")
    assert result.applied and (result.base, result.base_how) == (head, "base-commit")


def test_source_lookup_finds_a_definition_in_the_tree_commit(
    seed_tree: Path, applied: tuple[AppliedRevision, ...]
) -> None:
    lookup = SourceLookup(seed_tree, applied[1].commit or "")
    image = lookup.lookup("__free_pages")
    assert image is not None and image.path == "mm/page_alloc.c"
    assert "bool compound = PageHead(page);" in image.source
    assert lookup.lookup("free_the_page") is None  # only its name in a hunk header, no body
    assert lookup.lookup("no such; name") is None


MACRO_SOURCE = """static int __init foo_init(void)
{
\tstruct item *p;

\tlist_for_each_entry(p, &head, list) {
\t\tp->y = 1;
\t}
\treturn 0;
}
late_initcall(foo_init);

static __always_inline void quux(struct page *page)
\t__releases(&zone->lock)
{
\tint i;
\tfor (i = 0; i < 4; i++) {
\t\tx = i;
\t}
}
"""


def test_functions_survive_macros_tree_sitter_cannot_parse() -> None:
    found = find_functions(MACRO_SOURCE, "mm/x.c")
    assert [(f.name, f.start_line, f.end_line) for f in found] == [
        ("foo_init", 1, 9),
        ("quux", 12, 19),
    ]
    assert all(f.problems and f.problems[0].startswith("mm/x.c:") for f in found)


def test_brace_matching_finds_a_function_tree_sitter_lost() -> None:
    # A body without its signature's closing parenthesis: tree-sitter gives no definition.
    source = "void lost(struct page *page,\n{\n\tif (x) {\n\t\ty();\n\t}\n}\n"
    assert not any(f.name == "lost" for f in find_functions(source, "a.c"))
    span = function_at([], source.split("\n"), 4, "a.c")
    assert span is not None and (span.name, span.start_line, span.end_line) == ("lost", 1, 6)
    assert span.problems == ("a.c:1: tree-sitter could not parse lost; found by brace matching",)


def test_a_diff_that_leaves_the_tree_is_refused(
    seed_revisions: tuple[Revision, ...], seed_tree: Path
) -> None:
    escape = BROKEN_DIFF.replace("a/mm/page_alloc.c", "a/../outside.c").replace(
        "b/mm/page_alloc.c", "b/../outside.c"
    )
    evil = replace(
        seed_revisions[0],
        id="evil00000000",
        diff=escape,
        base_hints=replace(seed_revisions[0].base_hints, blobs=()),
    )
    result = apply_revision(evil, seed_tree, thread_key="evil")
    assert not result.applied and result.error is not None
    assert result.error.path == "../outside.c" and "leaves the tree" in result.error.reason
    assert not (seed_tree.parent / "outside.c").exists()


@pytest.mark.real_data
def test_other_corpus_threads_apply_to_synthetic_bases_honestly(tmp_path: Path) -> None:
    from _revision_threads import corpus_thread

    thread = corpus_thread("split-page-memcg-v2.mbox")
    revisions = find_revisions(thread)
    results = apply_all(revisions, None, thread_key=thread.root, scratch=tmp_path / "split")
    assert all(r.applied and r.synthetic for r in results)
    patch, willy, michal1, michal2 = results
    # The hunk sits inside split_page(): named by the hunk header, imaged by its lines only.
    (split_page,) = patch.functions
    assert split_page.name == "split_page" and split_page.pre and not split_page.pre.complete
    assert split_page.pre.problems == (
        "mm/page_alloc.c:3310: split_page starts before the hunk; only the hunk's lines are known",
    )
    assert [f.name for f in michal1.functions] == ["__memcg_kmem_charge_page"]
    assert michal2.range_diff.startswith(
        "vs sketch by Michal Hocko, 9 Mar: mm/memcontrol.c (__memcg_kmem_charge_page)"
    )
    assert michal2.range_diff.endswith("(git range-diff)") and "+0/-0" not in michal2.range_diff

    thread = corpus_thread("gup-try-grab-compound-head-race-v2.mbox")
    (gup,) = apply_all(
        find_revisions(thread), None, thread_key=thread.root, scratch=tmp_path / "gup"
    )
    names = [f.name for f in gup.functions]
    assert names == [
        "put_page_refs",
        "try_get_compound_head",
        "try_grab_compound_head",
        "put_compound_head",
    ]
    added = gup.functions[0]
    assert (
        added.pre is None and added.post is not None and added.post.complete
    )  # new, wholly in the hunk


def test_damaged_context_and_miscounted_hunks_apply_with_the_option_recorded(
    seed_revisions: tuple[Revision, ...], seed_tree: Path
) -> None:
    v1 = seed_revisions[0]
    # A hand-edited hunk whose header counts lines it does not have.
    miscounted_diff = v1.diff.replace("@@ -5112,10 +5112,9 @@", "@@ -5112,12 +5112,11 @@")
    assert miscounted_diff != v1.diff
    miscounted = replace(v1, id="miscounted00", diff=miscounted_diff)
    result = apply_revision(miscounted, seed_tree, thread_key="damage")
    assert result.applied and result.apply_options == ("--ignore-whitespace", "--recount")
    # A context line the tree does not have at the hunk's edge needs reduced context.
    edited = replace(
        v1,
        id="editedctx000",
        diff=v1.diff.replace("\n  */\n void __free_pages", "\n  * changed\n void __free_pages"),
    )
    assert edited.diff != v1.diff
    result = apply_revision(edited, seed_tree, thread_key="damage")
    assert result.applied and result.apply_options[-1] == "-C1"
    assert (
        _git(seed_tree, "show", f"{result.commit}:mm/page_alloc.c").count(
            "split_page_memcg(page, 1 << order);"
        )
        == 1
    )


def test_source_lookup_in_a_synthetic_tree_marks_images_incomplete(
    seed_revisions: tuple[Revision, ...], tmp_path: Path
) -> None:
    (sketch,) = apply_all(seed_revisions[2:], None, thread_key="k", scratch=tmp_path / "s")
    image = SourceLookup(tmp_path / "s", sketch.commit or "").lookup("__free_pages")
    assert image is not None and not image.complete
    assert image.problems[-1] == "mm/page_alloc.c:5080: synthetic tree, only hunk lines are real"


def test_only_a_whole_one_line_signature_in_a_hunk_header_counts_as_known() -> None:
    from reviewer.trees._synthetic import whole_signature

    assert whole_signature("void __free_pages(struct page *page, unsigned int order)")
    # git cuts long header lines; a cut or multi-line signature stays unknown (incomplete image)
    assert not whole_signature("static void free_pcppages_bulk(struct zone *zone, int count,")
    assert not whole_signature("struct page *p)")
    assert not whole_signature("static inline void free_the_page(struct page *page, unsigned int")


def test_base_found_by_blobs_when_the_file_changed_since(tmp_path: Path) -> None:
    """The patch was written against an older blob of the file; the branch has moved on. The base
    is the commit that holds that blob (`git log --find-object` lists the commit that removed
    it first), not the branch head."""
    from reviewer.thread import build_thread

    repo = tmp_path / "linux"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "master")
    (repo / "mm").mkdir()
    old = "".join(f"int line{n};\n" for n in range(1, 11))
    (repo / "mm" / "a.c").write_text(old)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    base = _git(repo, "rev-parse", "HEAD").strip()
    blob = _git(repo, "rev-parse", "HEAD:mm/a.c").strip()
    (repo / "mm" / "a.c").write_text("int added;\n" + old)
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-am", "two")

    body = (
        "Change line5.\n\nSigned-off-by: A U <a@example.org>\n---\n"
        "diff --git a/mm/a.c b/mm/a.c\n"
        f"index {blob[:12]}..0123456789ab 100644\n"
        "--- a/mm/a.c\n+++ b/mm/a.c\n"
        "@@ -4,3 +4,3 @@\n int line4;\n-int line5;\n+long line5;\n int line6;\n"
        "-- \n2.30.0\n"
    )
    mail = (
        "From: A U <a@example.org>\nSubject: [PATCH] mm: change line5\n"
        "Message-ID: <p1@example.org>\nDate: Fri, 19 Mar 2021 03:15:47 -0400\n\n" + body
    ).encode()
    (revision,) = find_revisions(build_thread([mail]))
    result = apply_revision(revision, repo, thread_key="moved")
    assert result.applied and (result.base, result.base_how) == (base, "blobs")
    assert [o.offset for o in result.offsets] == [0]


def test_test_tree_refuses_a_diff_path_that_leaves_it(
    seed_revisions: tuple[Revision, ...], tmp_path: Path
) -> None:
    """build_test_tree writes files named by the mail's diff: ``../`` must not escape ``dest``."""
    from reviewer._errors import TreeError

    escape = BROKEN_DIFF.replace("a/mm/page_alloc.c", "a/../outside.c").replace(
        "b/mm/page_alloc.c", "b/../outside.c"
    )
    evil = replace(seed_revisions[0], id="evil00000000", diff=escape)
    with pytest.raises(TreeError, match="leaves the tree"):
        build_test_tree([evil], tmp_path / "linux")
    assert not (tmp_path / "outside.c").exists()
