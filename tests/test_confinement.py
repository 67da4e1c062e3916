"""Confinement: mail never runs or writes anything, and the user's repository runs nothing either.

* paths that leave the tree (``..``, absolute, ``.git`` in any spelling), symlinks pointing out,
  submodules: refused per revision (the mail cases are in fixtures/malformed/; here the rules);
* no ``shell=True`` (nor ``os.system`` / ``os.popen``) anywhere in the product;
* every argument of every process ``review`` starts that carries text from the mail is after
  ``--`` (watched with an audit hook while a hostile thread is reviewed);
* the user's git hooks, content filters, textconv drivers, fsmonitor and signature checks are
  never run by reviewer's own git commands (each would leave a mark in a file).
"""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cli_env import Cli
from _lore_server import FIXTURES

from reviewer._mbox import split_mbox
from reviewer.model import Revision
from reviewer.revisions import find_revisions
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread
from reviewer.trees import apply_revision

REPO = Path(__file__).resolve().parents[1]
SEED = FIXTURES / "seed.mbox"
FROB = FIXTURES / "malformed" / "_tree"


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "U", "GIT_AUTHOR_EMAIL": "u@example.invalid",
           "GIT_COMMITTER_NAME": "U", "GIT_COMMITTER_EMAIL": "u@example.invalid",
           "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          env=env, check=True).stdout


@pytest.fixture
def frob_repo(tmp_path: Path) -> Path:
    import shutil

    repo = tmp_path / "frob"
    shutil.copytree(FROB, repo)
    _git(repo, "init", "-q", "-b", "master")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return repo


def _mail_revision(diff: str, subject: str = "[PATCH] frob: change") -> Revision:
    raw = (f"From: A <a@example.org>\nSubject: {subject}\nDate: Fri, 2 Feb 2024 09:00:00 +0000\n"
           f"Message-ID: <c@example.org>\n\nLog.\n---\n{diff}").encode()
    (revision,) = find_revisions(build_thread([raw]))
    return revision


def _new_file(path: str, text: str = "x", mode: str = "100644") -> str:
    quoted = f"a/{path} b/{path}"
    return (f"diff --git {quoted}\nnew file mode {mode}\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1 @@\n+{text}\n\\ No newline at end of file\n")


# --------------------------------------------------------------------------- paths and links


@pytest.mark.parametrize("path", ["../outside.c", "drivers/../../outside.c", ".git/hooks/post-commit",
                                  "drivers/.GIT/config", "drivers/.git./x", "/etc/frob.conf"])
def test_paths_leaving_the_tree_or_naming_git_are_refused(path: str, frob_repo: Path) -> None:
    result = apply_revision(_mail_revision(_new_file(path)), frob_repo, thread_key="t")
    assert not result.applied and result.error is not None
    assert "leaves the tree or names .git" in result.error.reason
    assert _git(frob_repo, "for-each-ref", "refs/reviewer") == ""


def test_a_rename_out_of_the_tree_is_refused(frob_repo: Path) -> None:
    diff = ("diff --git a/drivers/misc/frob.c b/drivers/misc/frob.c\nsimilarity index 100%\n"
            "rename from drivers/misc/frob.c\nrename to ../../frob.c\n")
    result = apply_revision(_mail_revision(diff), frob_repo, thread_key="t")
    assert not result.applied and result.error is not None
    assert result.error.path == "../../frob.c"


@pytest.mark.parametrize(("target", "refused"), [
    ("frob.c", False), ("../misc/frob.c", False), ("../../Documentation", False),
    ("/etc/passwd", True), ("../../../outside", True), ("../../.git/config", True),
])
def test_symlinks_may_point_inside_the_tree_only(target: str, refused: bool, frob_repo: Path) -> None:
    revision = _mail_revision(_new_file("drivers/misc/link", target, mode="120000"))
    result = apply_revision(revision, frob_repo, thread_key="t")
    assert result.applied is not refused, result.error
    if refused:
        assert result.error is not None and "leaves the tree" in result.error.reason
    else:
        tree = _git(frob_repo, "ls-tree", result.commit or "", "drivers/misc/link")
        assert tree.startswith("120000 blob ")


def test_a_submodule_is_refused(frob_repo: Path) -> None:
    diff = ("diff --git a/drivers/vendor b/drivers/vendor\nnew file mode 160000\nindex 0000000..4b825dc\n"
            "--- /dev/null\n+++ b/drivers/vendor\n@@ -0,0 +1 @@\n"
            "+Subproject commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n")
    result = apply_revision(_mail_revision(diff), frob_repo, thread_key="t")
    assert not result.applied and result.error is not None
    assert result.error.reason == "adds a submodule (gitlink); not applied"


def test_a_mode_change_inside_the_tree_applies(frob_repo: Path) -> None:
    diff = "diff --git a/drivers/misc/frob.c b/drivers/misc/frob.c\nold mode 100644\nnew mode 100755\n"
    result = apply_revision(_mail_revision(diff), frob_repo, thread_key="t")
    assert result.applied, result.error
    assert _git(frob_repo, "ls-tree", result.commit or "", "drivers/misc/frob.c").startswith("100755 ")


# --------------------------------------------------------------------------- no shell


def _product_files() -> Iterator[Path]:
    for folder in ("reviewer", "checks", "benchmarks"):
        yield from sorted((REPO / folder).rglob("*.py"))


def test_no_shell_anywhere() -> None:
    """No subprocess call with shell=True, no os.system / os.popen / getoutput: nothing is ever
    handed to a shell, so no text can be read as shell syntax."""
    found = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            shell = any(k.arg == "shell" and not (isinstance(k.value, ast.Constant) and k.value.value is False)
                        for k in node.keywords)
            if shell or name in ("os.system", "os.popen", "subprocess.getoutput",
                                 "subprocess.getstatusoutput", "os.execlp", "os.spawnlp"):
                found.append(f"{path.relative_to(REPO)}:{node.lineno}: {ast.unparse(node)[:80]}")
    assert found == []


def test_the_shell_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    calls = ast.parse("import subprocess, os\nsubprocess.run('x', shell=True)\nos.system('x')\n")
    names = [ast.unparse(n.func) for n in ast.walk(calls) if isinstance(n, ast.Call)]
    assert names == ["subprocess.run", "os.system"]


# --------------------------------------------------------------------------- arguments from mail

_SPAWNED: list[list[str]] = []
_WATCHING: list[bool] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _WATCHING and event == "subprocess.Popen":
        argv = args[1]
        _SPAWNED.append([os.fsdecode(a) for a in argv] if isinstance(argv, list | tuple)
                        else shlex.split(os.fsdecode(argv)))  # type: ignore[arg-type]
    elif _WATCHING and event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn"):
        _SPAWNED.append(["<" + event + ">"])


sys.addaudithook(_audit)  # hooks cannot be removed; it does nothing unless a test is watching

HOSTILE = "-Xhostile"


def _hostile_thread(path: Path) -> Path:
    """A patch whose every mail-controlled field looks like an option: paths, names, hints."""
    diff = (f"diff --git a/{HOSTILE}/{HOSTILE}.c b/{HOSTILE}/{HOSTILE}.c\nnew file mode 100644\n"
            f"index 0000000..1111111\n--- /dev/null\n+++ b/{HOSTILE}/{HOSTILE}.c\n"
            f"@@ -0,0 +1,3 @@ --exec={HOSTILE}\n+int f(void)\n+{{\n+}}\n"
            f"diff --git a/drivers/misc/frob.c b/drivers/misc/frob.c\n"
            f"index 0926299..5e067b9 100644\n--- a/drivers/misc/frob.c\n+++ b/drivers/misc/frob.c\n"
            "@@ -43,3 +43,4 @@ static void frob_put(struct frob_widget *w)\n"
            " \tlast = --w->refcount == 0;\n \tspin_unlock(&w->lock);\n \tif (last) {\n"
            f"+\t\t/* {HOSTILE} */\n")
    mail = (f"From {HOSTILE} Mon Sep 17 00:00:00 2001\nFrom: {HOSTILE} <{HOSTILE}@example.org>\n"
            f"Subject: [PATCH] --upload-pack={HOSTILE}\nDate: Fri, 2 Feb 2024 09:00:00 +0000\n"
            f"Message-ID: <{HOSTILE}@example.org>\n\n--output={HOSTILE}\n\n"
            f"Signed-off-by: {HOSTILE} <{HOSTILE}@example.org>\n---\n{diff}\n"
            f"base-commit: {HOSTILE}\n")
    path.write_text(mail)
    return path


def test_mail_text_reaches_a_command_line_only_after_double_dash(cli: Cli, frob_repo: Path,
                                                                tmp_path: Path) -> None:
    mbox = _hostile_thread(tmp_path / "hostile.mbox")
    _WATCHING.append(True)
    try:
        result = cli.run(str(mbox), "--tree", str(frob_repo), "--format", "json")
    finally:
        _WATCHING.clear()
    assert result.err == ""
    revisions = [r for r in json.loads(result.out)["revisions"] if r["kind"] != "base"]
    assert revisions and revisions[0]["applied"], revisions  # the commands really ran on it
    spawned, _SPAWNED[:] = list(_SPAWNED), []
    assert any("apply" in argv for argv in spawned)
    carrying = [argv for argv in spawned if any(HOSTILE in a for a in argv)]
    for argv in carrying:
        end = argv.index("--") if "--" in argv else len(argv)
        early = [a for a in argv[:end] if HOSTILE in a and a.startswith("-")]
        assert early == [], argv
    assert not any(argv == ["<os.system>"] for argv in spawned)


# --------------------------------------------------------------------------- the user's git


def _arm(repo: Path, marks: Path, global_config: Path) -> None:
    """Hooks, fsmonitor, filters, textconv and signature checks that each leave a mark."""
    def script(name: str) -> str:
        return f"sh -c 'echo {name} >> {marks}; cat'"

    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    for hook in ("reference-transaction", "post-index-change", "pre-commit", "post-commit",
                 "post-checkout", "pre-auto-gc", "post-rewrite"):
        (hooks / hook).write_text(f"#!/bin/sh\necho hook:{hook} >> {marks}\n")
        (hooks / hook).chmod(0o755)
    (repo / ".git" / "fsmonitor").write_text(f"#!/bin/sh\necho fsmonitor >> {marks}\n")
    (repo / ".git" / "fsmonitor").chmod(0o755)
    config = {
        "core.fsmonitor": str(repo / ".git" / "fsmonitor"),
        "filter.evil.clean": script("clean"), "filter.evil.smudge": script("smudge"),
        "filter.evil.required": "true",
        "diff.evil.textconv": f"sh -c 'echo textconv >> {marks}; cat \"$0\"'",
        "log.showSignature": "true", "gpg.program": script("gpg"),
    }
    for key, value in config.items():
        _git(repo, "config", key, value)
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "attributes").write_text("* filter=evil diff=evil\n*.c filter=lfs diff=evil\n")
    # The user's global config, as git-lfs installs it: a process filter for every repository.
    for key, value in {"filter.lfs.process": script("lfs"), "filter.lfs.required": "true",
                       "filter.lfs.clean": script("lfs-clean"),
                       "filter.lfs.smudge": script("lfs-smudge")}.items():
        _git(repo, "config", "--file", str(global_config), key, value)


def test_the_users_hooks_filters_and_fsmonitor_never_run(cli: Cli, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    tree = build_test_tree(build_thread(split_mbox(SEED.read_bytes())), tmp_path / "linux")
    marks = tmp_path / "marks"
    global_config = tmp_path / "gitconfig"
    _arm(tree, marks, global_config)
    # Armed for real: plain git commands on this repository leave marks.
    subprocess.run(["git", "-C", str(tree), "update-ref", "refs/probe/x", "HEAD"], check=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": str(global_config)})
    subprocess.run(["git", "-C", str(tree), "log", "-p", "-1", "--format=%s"], check=False,
                   capture_output=True, env={**os.environ, "GIT_CONFIG_GLOBAL": str(global_config)})
    armed = set(marks.read_text().split())
    assert {"hook:reference-transaction", "textconv"} <= armed and armed & {"smudge", "lfs-smudge", "lfs"}
    _git(tree, "update-ref", "-d", "refs/probe/x")
    marks.unlink()

    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    result = cli.run(str(SEED), "--tree", str(tree), "--format", "json")
    assert result.err == ""
    doc = json.loads(result.out)
    revisions = [r for r in doc["revisions"] if r["kind"] != "base"]
    assert len(revisions) == 3 and all(r["applied"] for r in revisions)
    assert any("git range-diff" in (r["apply"] or {}).get("range_diff", "") for r in revisions)
    assert not marks.exists(), marks.read_text()
