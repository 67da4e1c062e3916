"""The plug-in API: loading, disabling, user folders, broken checks, classification, JSON, tree access."""

from __future__ import annotations

import textwrap
from pathlib import Path

import git
import pytest
from check_cases.build import commit_files, make_case

from reviewer._config import ChecksConfig
from reviewer._errors import ConfigError
from reviewer.check_api import (
    CheckError,
    CheckInfo,
    Confidence,
    Severity,
    TreeView,
    classify,
    finding_to_json,
    load_checks,
    run_checks,
)
from reviewer.model import Finding, Status

BUILTIN = {"read-after-put", "split-then-free-high-order", "free-pages-on-compound", "fixes-tag", "checkpatch"}

USER_CHECK = '''
from reviewer.check_api import CheckInfo, Confidence, Severity

INFO = CheckInfo(id="user-hack", title="HACK in a function", severity=Severity.INFO,
                 rationale="HACKs are shortcuts to revisit.", false_positives="None.",
                 confidence=Confidence.HIGH)


def check(ctx):
    for fn in ctx.functions:
        if "HACK" in fn.image.source:
            yield INFO.finding(ctx, file=fn.path, line=fn.image.start_line, function=fn.name,
                               key="hack", message=f"HACK in {fn.name}() ({ctx.side.value})")
'''


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def only_user(tmp_path: Path, *files: tuple[str, str]) -> tuple:  # type: ignore[type-arg]
    for name, text in files:
        write(tmp_path / "user", name, text)
    return load_checks(ChecksConfig(dirs=(tmp_path / "user",)), builtin=False)


def test_builtin_checks_load_with_complete_metadata() -> None:
    loaded = load_checks()
    assert {c.id for c in loaded} == BUILTIN
    for c in loaded:
        assert c.error == "" and c.info is not None and c.run is not None and len(c.digest) == 64
        assert c.info.rationale.strip() and c.info.false_positives.strip()
        assert "What it finds" in (c.path.read_text().split('"""')[1])


def test_disabled_ids_are_skipped() -> None:
    ids = {c.id for c in load_checks(ChecksConfig(disabled=("checkpatch", "fixes-tag")))}
    assert ids == BUILTIN - {"checkpatch", "fixes-tag"}


def test_missing_user_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a folder"):
        load_checks(ChecksConfig(dirs=(tmp_path / "nope",)))


@pytest.mark.parametrize(
    ("pre", "post", "status"),
    [("int f(void)\n{\n\treturn 0;\n}\n", "int f(void)\n{\n\treturn 0; /* HACK */\n}\n", Status.INTRODUCED),
     ("int f(void)\n{\n\treturn 0; /* HACK */\n}\n", "int f(void)\n{\n\treturn 1; /* HACK */\n}\n", Status.PRE_EXISTING),
     ("int f(void)\n{\n\treturn 0; /* HACK */\n}\n", "int f(void)\n{\n\treturn 0;\n}\n", Status.FIXED)],
)
def test_user_check_runs_on_both_sides_and_is_classified(tmp_path: Path, pre: str, post: str, status: Status) -> None:
    checks = only_user(tmp_path, ("todo.py", USER_CHECK))
    case = make_case(pre, post)
    (f,) = run_checks(case.revision, case.applied, None, checks)
    assert (f.check, f.status, f.function, f.revision_id) == ("user-hack", status, "f", case.revision.id)
    # Fixed findings come from the base side, the others from the revision side.
    assert f.message.endswith("(base)" if status is Status.FIXED else "(revision)")


BROKEN = {
    "syntax.py": "def check(ctx:\n",
    "raises_on_import.py": "raise RuntimeError('no import for you')\n",
    "no_info.py": "def check(ctx):\n    return []\n",
    "raises.py": '''
        from reviewer.check_api import CheckInfo, Confidence, Severity
        INFO = CheckInfo(id="raiser", title="t", severity=Severity.INFO, rationale="r",
                         false_positives="f", confidence=Confidence.LOW)
        def check(ctx):
            return [1 // 0]
    ''',
    "wrong_type.py": '''
        from reviewer.check_api import CheckInfo, Confidence, Severity
        INFO = CheckInfo(id="wrong-type", title="t", severity=Severity.INFO, rationale="r",
                         false_positives="f", confidence=Confidence.LOW)
        def check(ctx):
            yield "not a finding"
    ''',
    "exits.py": "import sys\nsys.exit(3)\n",
}


def test_broken_checks_become_error_findings_and_the_run_completes(tmp_path: Path) -> None:
    checks = only_user(tmp_path, ("todo.py", USER_CHECK), *BROKEN.items())
    case = make_case("int f(void)\n{\n}\n", "int f(void)\n{\n\t/* HACK */\n}\n")
    found = run_checks(case.revision, case.applied, None, checks)
    errors = {f.check: f.message for f in found if f.severity is Severity.ERROR}
    assert set(errors) == {"syntax", "raises_on_import", "no_info", "raiser", "wrong-type", "exits"}
    assert "SyntaxError" in errors["syntax"] and "syntax.py:1" in errors["syntax"]
    assert "RuntimeError: no import for you at raises_on_import.py:1" in errors["raises_on_import"]
    assert "no INFO" in errors["no_info"]
    assert "ZeroDivisionError" in errors["raiser"] and "raises.py:6" in errors["raiser"]
    assert "yielded str, not a Finding" in errors["wrong-type"]
    assert "SystemExit" in errors["exits"]
    # The good check still ran; each broken one is reported once, not once per side.
    assert [f.check for f in found].count("user-hack") == 1
    assert [f.check for f in found].count("raiser") == 1
    assert errors["raiser"].endswith("(base and revision side)")
    assert all(f.file.endswith(".py") for f in found if f.severity is Severity.ERROR)


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    checks = only_user(tmp_path, ("a.py", USER_CHECK), ("b.py", USER_CHECK))
    assert [(c.path.name, c.error.split(",")[0]) for c in checks] == [("a.py", ""), ("b.py", "duplicate check id 'user-hack'")]


def test_metadata_is_validated() -> None:
    with pytest.raises(CheckError, match="lower-case"):
        CheckInfo(id="Bad Id", title="t", severity=Severity.INFO, rationale="r", false_positives="f",
                  confidence=Confidence.LOW)
    with pytest.raises(CheckError, match="false_positives is empty"):
        CheckInfo(id="ok", title="t", severity=Severity.INFO, rationale="r", false_positives=" ",
                  confidence=Confidence.LOW)


def finding(key: str, line: int, function: str = "f") -> Finding:
    return Finding("c", Severity.WARNING, "r", "a.c", line, f"m {key} line {line}", function=function, key=key)


def test_classify_matches_by_key_and_function_not_line() -> None:
    base = [finding("x", 10), finding("x", 20), finding("y", 30), finding("z", 5, "g")]
    head = [finding("x", 12), finding("y", 99), finding("w", 1), finding("z", 5, "h")]
    got = {(f.key, f.function, f.line, f.status) for f in classify(base, head)}
    assert got == {
        ("x", "f", 12, Status.PRE_EXISTING), ("x", "f", 20, Status.FIXED), ("y", "f", 99, Status.PRE_EXISTING),
        ("w", "f", 1, Status.INTRODUCED), ("z", "h", 5, Status.INTRODUCED), ("z", "g", 5, Status.FIXED),
    }
    # Without a key, the message stands in with its numbers blanked.
    keyless = [Finding("c", Severity.INFO, "r", "a.c", 3, "read on line 3")]
    moved = [Finding("c", Severity.INFO, "r", "a.c", 9, "read on line 9")]
    assert [f.status for f in classify(keyless, moved)] == [Status.PRE_EXISTING]


def test_finding_to_json() -> None:
    f = Finding("fixes-tag", Severity.WARNING, "r", "COMMIT_MSG", 27, "msg", Status.FIXED, ("ev",), ("Fixes",))
    assert finding_to_json(f) == {
        "source": "check", "check": "fixes-tag", "severity": "warning", "status": "fixed", "file": "COMMIT_MSG",
        "line": 27, "message": "msg", "function": "", "symbols": ["Fixes"], "evidence": ["ev"],
    }


def test_tree_view_reads_a_commit_without_checking_it_out(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path, initial_branch="master")
    first = commit_files(repo, {"a/x.c": "foo(1);\nbar;\nfoo(2);\n", "b/y.c": "foo\n"}, "first subject")
    second = commit_files(repo, {"a/x.c": "bar\n"}, "second")
    view = TreeView.open(repo, first)
    assert [(h.path, h.line, h.text) for h in view.grep(r"foo(")] == [("a/x.c", 1, "foo(1);"), ("a/x.c", 3, "foo(2);")]
    assert view.grep_files("-w", "foo") == ("a/x.c", "b/y.c")
    assert view.grep("nothing-matches") == ()
    assert view.read("a/x.c") == b"foo(1);\nbar;\nfoo(2);\n" and view.read("no/such") is None
    assert view.resolve(first[:12]) == first and view.resolve("0123456789ab") is None
    assert view.subject(first) == "first subject"
    assert view.at(second).grep_files("-F", "foo(") == ()
    assert view.in_user_refs()
    assert view.names() == {"a": "tree", "b": "tree"} and view.names("a") == {"x.c": "blob"}
    # Blobs are written out under the folder given, never above it (names may come from mail).
    out = tmp_path / "export"
    assert view.export(["a/x.c", "a/../b/y.c", "/etc/passwd", "no/such"], out) == ["a/x.c"]
    assert [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()] == ["a/x.c"]
