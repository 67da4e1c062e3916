"""checkpatch: the base tree's scripts/checkpatch.pl run with perl (a perl stand-in from
check_cases/ installed as scripts/checkpatch.pl in the test trees; the real script in
test_realtree_kernel.py)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import git
import pytest
from check_cases.build import commit_files, findings, load, make_case

from reviewer.check_api import run_checks
from reviewer.model import RevisionKind, Severity
from reviewer.trees import FactStore, TreeSearch, open_repo

pytestmark = pytest.mark.skipif(shutil.which("perl") is None, reason="perl is not installed")

STAND_IN = Path(__file__).resolve().parent / "check_cases" / "checkpatch"
PRE = "int f(void)\n{\n\treturn 0;\n}\n"
POST = "int f(void)\n{\n\t/* teh answer, computed the long way round */\n\treturn 42;\n}\n"
MESSAGE = "mm: answer\n\nHACK: explain.\n\nSigned-off-by: A <a@example.org>\n"


STAND_IN_FILES = {"scripts/checkpatch.pl": STAND_IN / "checkpatch-standin.pl",
                  "scripts/spelling.txt": STAND_IN / "spelling.txt"}
# What checkpatch.pl's top_of_kernel_tree() looks for: files, and folders (one file in each).
KERNEL_TOP = {name: "x\n" for name in ("COPYING", "CREDITS", "Kbuild", "MAINTAINERS", "Makefile", "README")} | {
    f"{d}/.keep": "" for d in ("Documentation", "arch", "include", "drivers", "fs", "init", "ipc", "kernel", "lib")}


def tree(root: Path, *, checkpatch: bool = True, kernel_top: bool = False,
         makefile: str | None = None) -> tuple[git.Repo, str]:
    repo = git.Repo.init(root, initial_branch="master")
    files = {"mm/page_alloc.c": "/* base */\n"}
    if checkpatch:
        files |= {path: source.read_text() for path, source in STAND_IN_FILES.items()}
    if kernel_top:
        files |= KERNEL_TOP
    if makefile is not None:
        files["Makefile"] = makefile
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
    assert long_line.evidence == (
        "+\t/* teh answer, computed the long way round */",
        "scripts/checkpatch.pl --no-color --show-types --no-summary --no-tree, "
        "run with --no-tree (not a whole kernel tree)")
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


def test_runs_from_the_tree_root_with_the_tree_and_strict_when_configured(tmp_path: Path) -> None:
    repo, base = tree(tmp_path / "kernel", kernel_top=True)
    with_tree = run(repo, base)
    assert ("info", "", 0, "WITH_TREE: run from the tree's root") in with_tree
    assert ("info", "", 0, "FILE_IN_ROOT: mm/page_alloc.c") in with_tree
    repo, base = tree(tmp_path / "excerpt")
    assert not any("WITH_TREE" in k for *_, k in run(repo, base))  # not a whole tree: --no-tree

    case = make_case(PRE, POST, commit_message=MESSAGE, base=base, commit=base)
    strict = replace(load("checkpatch"), options=(("strict", True),))
    keys = [f.key for f in run_checks(case.revision, case.applied, None, [strict], repo=repo)]
    assert "STRICT: run with --strict" in keys
    assert not any("STRICT" in f.key for f in findings(case, "checkpatch", repo=repo))


FIXES = MESSAGE.replace("HACK: explain.", "Fixes: 0123456789ab (\"mm: older\")")


def test_unknown_commit_id_in_a_history_less_tree_is_could_not_verify_at_info(tmp_path: Path) -> None:
    # A snapshot of a release as the root commit: ids from before it cannot be looked up.
    repo, base = tree(tmp_path / "snapshot", makefile="VERSION = 5\nPATCHLEVEL = 12\nSUBLEVEL = 9\n")
    case = make_case(PRE, POST, commit_message=FIXES, base=base, commit=base)
    unknown = [f for f in findings(case, "checkpatch", repo=repo) if "UNKNOWN_COMMIT_ID" in f.key]
    assert [(f.severity, f.key) for f in unknown] == [
        (Severity.INFO, "UNKNOWN_COMMIT_ID: could not verify 0123456789ab")]
    assert "a snapshot of Linux 5.12.9" in unknown[0].message and "could not verify" in unknown[0].message

    # A tree whose history reaches back (no release snapshot at its root): a real warning.
    repo, base = tree(tmp_path / "full")
    case = make_case(PRE, POST, commit_message=FIXES, base=base, commit=base)
    unknown = [f for f in findings(case, "checkpatch", repo=repo) if "UNKNOWN_COMMIT_ID" in f.key]
    assert [f.severity for f in unknown] == [Severity.WARNING]

    # An id the repository has is not reported at all.
    known = FIXES.replace("0123456789ab", base[:12])
    case = make_case(PRE, POST, commit_message=known, base=base, commit=base)
    assert not any("UNKNOWN_COMMIT_ID" in f.key for f in findings(case, "checkpatch", repo=repo))


def test_output_is_kept_per_base_tree_and_patch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, base = tree(tmp_path / "t")
    perl_runs: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args: list[str], **kwargs: Any) -> Any:
        if "perl" in Path(str(args[0])).name:
            perl_runs.append(args)
        return real_run(args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)

    def keys(store: FactStore, message: str = MESSAGE) -> list[str]:
        case = make_case(PRE, POST, commit_message=message, base=base, commit=base)
        search = TreeSearch(open_repo(tmp_path / "t"), store)
        return sorted(f.key for f in run_checks(case.revision, case.applied, None, [load("checkpatch")], search=search))

    first = keys(FactStore(tmp_path / "facts"))
    assert first and len(perl_runs) == 1
    assert keys(FactStore(tmp_path / "facts")) == first and len(perl_runs) == 1  # a later run: kept
    keys(FactStore(tmp_path / "facts"), MESSAGE + "More.\n")
    assert len(perl_runs) == 2  # another patch: run again
    # The script in the work tree is never the one run: the base commit's is.
    (tmp_path / "t" / "scripts" / "checkpatch.pl").write_text('print "ERROR:CHANGED: ran\\n\\n";\n')
    assert keys(FactStore(tmp_path / "other-facts")) == first and len(perl_runs) == 3
