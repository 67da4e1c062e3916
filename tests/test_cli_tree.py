"""End to end: ``review --tree`` leaves the user's repository exactly as it was.

The repository has what a working kernel tree has mid-work: commits on a few branches, a tag,
a stash entry, staged and unstaged changes (both in the very file the revisions patch),
untracked files. Only refs under ``refs/reviewer/`` may appear.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from _cli_env import Cli
from _lore_server import FIXTURES

from reviewer._mbox import split_mbox
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread

SEED = FIXTURES / "seed.mbox"
_ENV = {"GIT_AUTHOR_NAME": "U", "GIT_AUTHOR_EMAIL": "u@example.invalid",
        "GIT_COMMITTER_NAME": "U", "GIT_COMMITTER_EMAIL": "u@example.invalid"}


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "--no-optional-locks", "-C", str(repo), *args], capture_output=True,
                          text=True, env={**os.environ, **_ENV}, check=True)
    return proc.stdout


def _user_repo(dest: Path) -> Path:
    tree = build_test_tree(build_thread(split_mbox(SEED.read_bytes())), dest)
    # build_test_tree leaves: a stash entry, a staged Makefile, an unstaged README, NOTES.txt
    # untracked, branch `topic`. Add more branches with their own commits, a tag, and an
    # unstaged edit of the file every revision patches.
    _git(tree, "switch", "-q", "-c", "feature-a", "--no-guess")
    _git(tree, "switch", "-q", "master")
    _git(tree, "branch", "feature-b", "topic")
    _git(tree, "tag", "-a", "v5.12-rc3", "-m", "a tag")
    page_alloc = tree / "mm" / "page_alloc.c"
    with page_alloc.open("a") as f:
        f.write("/* the user's own staged edit */\n")
    _git(tree, "add", "mm/page_alloc.c")
    with page_alloc.open("a") as f:
        f.write("/* and an unstaged one on top */\n")
    (tree / "mm" / "scratch.c").write_text("int scratch;\n")
    os.chmod(tree / "NOTES.txt", 0o600)
    return tree


def _snapshot(repo: Path) -> dict[str, object]:
    git_dir = repo / ".git"
    # Raw bytes first: a `git status` without --no-optional-locks could rewrite the index.
    raw = {name: (git_dir / name).read_bytes() for name in ("index", "HEAD", "config", "logs/HEAD")}
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo)
        if rel.parts[0] == ".git" or path.is_dir():
            continue
        files[str(rel)] = (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mode)
    refs = dict(line.split(" ", 1) for line in
                _git(repo, "for-each-ref", "--format=%(refname) %(objectname)").splitlines())
    return {
        "raw": raw,
        "files": files,
        "refs": refs,
        "head": _git(repo, "rev-parse", "HEAD").strip(),
        "branch": _git(repo, "symbolic-ref", "HEAD").strip(),
        "status": _git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        "stash": _git(repo, "stash", "list", "--format=%H %gs"),
    }


def test_review_leaves_the_user_tree_untouched(cli: Cli, tmp_path: Path) -> None:
    tree = _user_repo(tmp_path / "linux")
    before = _snapshot(tree)
    assert "MM mm/page_alloc.c" in str(before["status"]) and "A  Makefile" in str(before["status"])
    assert before["stash"] and len(before["refs"]) >= 5  # type: ignore[arg-type]

    result = cli.run(str(SEED), "--tree", str(tree), "--no-simulate", "--format", "json")
    assert result.status == 1, result.err

    after = _snapshot(tree)
    for key in ("head", "branch", "status", "stash", "files"):
        assert after[key] == before[key], key
    for name, data in before["raw"].items():  # type: ignore[attr-defined]
        assert after["raw"][name] == data, f".git/{name} changed"  # type: ignore[index]
    refs_before: dict[str, str] = before["refs"]  # type: ignore[assignment]
    refs_after: dict[str, str] = after["refs"]  # type: ignore[assignment]
    assert {r: refs_after[r] for r in refs_before} == refs_before
    new = set(refs_after) - set(refs_before)
    assert new, "review should have left its commits under refs/reviewer/"
    assert all(r.startswith("refs/reviewer/") for r in new), sorted(new)
    # The revisions were applied to this tree's HEAD (the committed base), not to the user's edits.
    assert f'"base": "{before["head"]}"' in result.out
    assert '"synthetic": true' not in result.out


def test_second_review_of_the_same_tree_is_also_clean(cli: Cli, tmp_path: Path) -> None:
    """Re-running (refs already under refs/reviewer/) changes nothing either."""
    tree = _user_repo(tmp_path / "linux")
    assert cli.run(str(SEED), "--tree", str(tree), "--no-simulate").status == 1
    before = _snapshot(tree)
    assert cli.run(str(SEED), "--tree", str(tree), "--no-simulate").status == 1
    after = _snapshot(tree)
    assert after == before
