"""fixes-tag: the trailer's format, and its subject against a real git tree."""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from check_cases.build import commit_files, findings, make_case

FN = """
int f(void)
{
	return %d;
}
"""


def message(fixes: str) -> str:
    return f"mm: fix f\n\nf returned the wrong value.\n\nFixes: {fixes}\nSigned-off-by: A <a@example.org>\n"


def run(fixes: str, repo: git.Repo | None = None, **where: str) -> list[tuple[str, int, str]]:
    case = make_case(FN % 0, FN % 1, commit_message=message(fixes), **where)  # type: ignore[arg-type]
    return [(f.key, f.line, f.file) for f in findings(case, "fixes-tag", repo=repo)]


def test_well_formed_trailer_is_fine() -> None:
    assert run('0123456789ab ("mm: add f")') == []


def test_missing_quotes_is_reported_with_the_corrected_line() -> None:
    case = make_case(FN % 0, FN % 1, commit_message=message("e320d3012d25 mm/page_alloc.c: fix freeing"))
    (f,) = findings(case, "fixes-tag")
    assert (f.key, f.file, f.line, f.status.value) == ("unquoted-subject e320d3012d25", "COMMIT_MSG", 5, "introduced")
    assert 'e320d3012d25 ("mm/page_alloc.c: fix freeing")' in f.message
    assert f.evidence == ("Fixes: e320d3012d25 mm/page_alloc.c: fix freeing",)


def test_short_hash_and_missing_hash_are_reported() -> None:
    assert run('e320d30 ("mm: add f")') == [("short-hash e320d30", 5, "COMMIT_MSG")]
    assert run('("mm: add f")') == [("no-hash", 5, "COMMIT_MSG")]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[git.Repo, str, str]:
    repo = git.Repo.init(tmp_path, initial_branch="master")
    fixed = commit_files(repo, {"mm/f.c": "int f(void) { return 0; }\n"}, "mm: add f")
    head = commit_files(repo, {"mm/f.c": "int f(void) { return 1; }\n"}, "mm: fix f")
    return repo, fixed, head


def test_subject_is_compared_with_the_commit_in_the_tree(tree: tuple[git.Repo, str, str]) -> None:
    repo, fixed, head = tree
    assert run(f'{fixed[:12]} ("mm: add f")', repo, base=fixed, commit=head) == []
    assert run(f'{fixed[:12]} ("mm: add g")', repo, base=fixed, commit=head) == [
        (f"wrong-subject {fixed[:12]}", 5, "COMMIT_MSG")]
    # A commit the tree does not have: only the format is checked.
    assert run('0123456789ab ("mm: anything")', repo, base=fixed, commit=head) == []
