"""checkpatch: the base tree's scripts/checkpatch.pl (a perl stand-in in check_cases/) run with perl."""

from __future__ import annotations

import shutil
from pathlib import Path

import git
import pytest
from check_cases.build import commit_files, findings, make_case

from reviewer.model import RevisionKind

pytestmark = pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")

STAND_IN = Path(__file__).resolve().parent / "check_cases" / "checkpatch"
PRE = "int f(void)\n{\n\treturn 0;\n}\n"
POST = "int f(void)\n{\n\t/* teh answer, computed the long way round */\n\treturn 42;\n}\n"
MESSAGE = "mm: answer\n\nHACK: explain.\n\nSigned-off-by: A <a@example.org>\n"


def tree(root: Path, *, checkpatch: bool = True) -> tuple[git.Repo, str]:
    repo = git.Repo.init(root, initial_branch="master")
    files = {"mm/page_alloc.c": "/* base */\n"}
    if checkpatch:
        files |= {f"scripts/{p.name}": p.read_text() for p in STAND_IN.iterdir()}
    return repo, commit_files(repo, files, "base")


def run(repo: git.Repo, base: str, *, message: str = MESSAGE,
        kind: RevisionKind = RevisionKind.FORMAL) -> list[tuple[str, str, int, str]]:
    case = make_case(PRE, POST, commit_message=message, base=base, commit=base, kind=kind)
    return sorted((f.severity.value, f.file, f.line, f.key) for f in findings(case, "checkpatch", repo=repo))


def test_findings_are_mapped_to_file_lines_and_commit_message_lines(tmp_path: Path) -> None:
    repo, base = tree(tmp_path)
    assert run(repo, base) == [
        ("info", "mm/page_alloc.c", 12, "TYPO_SPELLING: 'teh' may be misspelled - perhaps 'the'?"),
        ("warning", "COMMIT_MSG", 3, "COMMIT_HACK: HACK left in the commit message"),
        ("warning", "mm/page_alloc.c", 12, "LONG_LINE: line length of 46 exceeds 40 columns"),
    ]
    case = make_case(PRE, POST, commit_message=MESSAGE, base=base, commit=base)
    long_line = next(f for f in findings(case, "checkpatch", repo=repo) if "LONG_LINE" in f.key)
    assert long_line.evidence == ("+\t/* teh answer, computed the long way round */",)
    assert long_line.message.startswith("checkpatch WARNING:LONG_LINE:")


def test_missing_sign_off_has_no_line(tmp_path: Path) -> None:
    repo, base = tree(tmp_path)
    assert ("error", "", 0, "MISSING_SIGN_OFF: Missing Signed-off-by: line(s)") in run(repo, base, message="mm: x\n")


def test_tree_without_checkpatch_and_sketches_are_not_checked(tmp_path: Path) -> None:
    repo, base = tree(tmp_path / "plain", checkpatch=False)
    assert run(repo, base) == []
    repo, base = tree(tmp_path / "kernel")
    assert run(repo, base, kind=RevisionKind.SKETCH) == []


def test_script_comes_from_a_base_the_user_has_never_from_the_revision(tmp_path: Path) -> None:
    repo, base = tree(tmp_path / "t")
    marker = tmp_path / "ran-revision-script"
    # The applied commit carries a checkpatch.pl that a patch rewrote: it must not run.
    evil = f"open(my $m, '>', '{marker}'); print \"ERROR:EVIL: ran\\n\\n\";\n"
    applied = commit_files(repo, {"scripts/checkpatch.pl": evil}, "revision")
    case = make_case(PRE, POST, commit_message=MESSAGE, base=base, commit=applied)
    keys = [f.key for f in findings(case, "checkpatch", repo=repo)]
    assert keys and not any("EVIL" in k for k in keys) and not marker.exists()

    # A base no branch, tag or remote branch contains (e.g. built from e-mail): not run at all.
    actor = git.Actor("T", "t@example.org")
    repo.index.add(["mm/page_alloc.c"])
    dangling = repo.index.commit("dangling", parent_commits=[repo.commit(base)], head=False,
                                 author=actor, committer=actor).hexsha
    assert run(repo, dangling) == []
