"""Crash consistency and concurrency: real ``review`` processes killed, interrupted, run together.

* A process killed (SIGKILL) in the middle of cache writes leaves each cached thread whole or
  absent, never half; a ``review`` killed at any point leaves the cache, the private refs and the
  user's checkout consistent, and the next run gives the same review as an undisturbed one.
* A stale ``refs/reviewer/...lock`` (a review killed inside ``git update-ref``) does not stop the
  next review.
* Ctrl-C ends a review with one line, exit 130, and no temporary directory left behind.
* Two reviews of the same thread, with the same cache and tree, at once: both finish, and agree.

Drafts are issue 10's (reviewer/drafts/, atomic writes of their own).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _cli_env import SEED_ROOT, review_env
from _lore_server import FIXTURES, LoreServer

from reviewer._cache import ThreadCache
from reviewer._mbox import split_mbox
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread

REVIEW = Path(sys.executable).with_name("review")
SEED = FIXTURES / "seed.mbox"

pytestmark = pytest.mark.slow


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "--no-optional-locks", "-C", str(repo), *args], capture_output=True,
                          text=True, check=True, env={**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null"}).stdout


class _Reviews:
    """``review <lore url> --refresh --tree T --format json`` as subprocesses sharing one cache."""

    def __init__(self, tmp_path: Path, server: LoreServer) -> None:
        self.server = server
        self.tree = build_test_tree(build_thread(split_mbox(SEED.read_bytes())), tmp_path / "linux")
        gitconfig = tmp_path / "gitconfig"
        gitconfig.write_text(f"[b4]\n\tmidmask = {server.midmask}\n")
        self.cache = tmp_path / "cache"
        self.config = tmp_path / "review.toml"
        self.config.write_text(f'[lore]\ntimeout = 5\nretry_delay = 0.05\n\n[cache]\ndir = "{self.cache}"\n')
        self.scratch = tmp_path / "tmp"
        self.scratch.mkdir()
        self.env = {**review_env(tmp_path, gitconfig), "TMPDIR": str(self.scratch)}
        self.argv = [str(REVIEW), f"{server.url}/linux-mm/{SEED_ROOT}/", "--refresh", "--no-simulate",
                     "--tree", str(self.tree), "--config", str(self.config), "--format", "json"]

    def start(self) -> subprocess.Popen[str]:
        # Ctrl-C's default, also when the suite runs as a background job (`make test &`), whose
        # commands inherit SIGINT ignored and would make every review deaf to it
        return subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self.env, cwd=self.scratch,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))

    def run(self) -> tuple[int, dict[str, object], str]:
        proc = self.start()
        out, err = proc.communicate(timeout=120)
        return proc.returncode, json.loads(out) if out else {}, err

    def start_working(self) -> tuple[subprocess.Popen[str], float]:
        """Start a review and wait until it asks the lore server for the thread: past the
        interpreter's start-up, in the command's own code. Returns it and when that was."""
        asked = len(self.server.requests)
        proc = self.start()
        deadline = time.monotonic() + 60
        while len(self.server.requests) == asked and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        return proc, time.monotonic()

    def check_consistent(self) -> None:
        """Every private ref names a commit; the cached thread is whole or absent."""
        for line in _git(self.tree, "for-each-ref", "--format=%(refname) %(objectname)", "refs/reviewer").split("\n"):
            if line:
                ref, sha = line.split()
                assert _git(self.tree, "cat-file", "-t", sha).strip() == "commit", ref
        _git(self.tree, "fsck", "--connectivity-only", "--no-dangling")
        cached = ThreadCache(self.cache).get_thread(SEED_ROOT)
        assert cached is None or len(split_mbox(cached.mbox)) == 13


@pytest.fixture
def reviews(tmp_path: Path, lore_server: LoreServer) -> _Reviews:
    return _Reviews(tmp_path, lore_server)


def _user_state(tree: Path) -> tuple[bytes, str, str]:
    return ((tree / ".git" / "index").read_bytes(), _git(tree, "status", "--porcelain=v2", "--branch"),
            _git(tree, "for-each-ref", "refs/heads", "refs/tags"))


def test_a_review_killed_at_any_point_leaves_everything_consistent(reviews: _Reviews) -> None:
    status, reference, err = reviews.run()
    assert err == "" and status in (0, 1)
    user = _user_state(reviews.tree)
    started = time.monotonic()
    reviews.run()
    duration = time.monotonic() - started
    for step in range(1, 9):  # kill at eight points spread over a whole run
        proc = reviews.start()
        time.sleep(duration * step / 9)
        proc.kill()
        proc.communicate()
        reviews.check_consistent()
        assert _user_state(reviews.tree) == user
    status_after, after, err = reviews.run()
    assert err == "" and (status_after, after) == (status, reference)
    assert _user_state(reviews.tree) == user


def test_the_cache_is_whole_or_absent_after_a_kill_mid_write(tmp_path: Path) -> None:
    """A writer rewriting a 3 MB cached thread in a loop, killed at random moments."""
    messages = split_mbox(SEED.read_bytes())
    versions = [b"".join(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + m + b"\n" for m in messages) * n
                for n in (200, 201)]
    writer = (
        "import sys\nfrom pathlib import Path\nfrom reviewer._cache import ThreadCache\n"
        "cache = ThreadCache(Path(sys.argv[1]))\nversions = [Path(p).read_bytes() for p in sys.argv[2:]]\n"
        "print('ready', flush=True)\nn = 0\nwhile True:\n"
        "    cache.put_thread('k@x', versions[n % 2], root='k@x', source='s', member_ids=['m@x'])\n"
        "    n += 1\n"
    )
    files = []
    for n, data in enumerate(versions):
        files.append(tmp_path / f"v{n}")
        files[-1].write_bytes(data)
    cache_dir = tmp_path / "cache"
    for delay in (0.05, 0.11, 0.17, 0.23, 0.31, 0.37, 0.43, 0.5):
        proc = subprocess.Popen([sys.executable, "-c", writer, str(cache_dir), *map(str, files)],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for key in ("k@x", "m@x"):
            cached = ThreadCache(cache_dir).get_thread(key)
            assert cached is None or cached.mbox in versions
            assert cached is None or (cached.root, cached.source) == ("k@x", "s")


def test_a_lock_left_by_a_killed_update_ref_does_not_stop_the_next_review(reviews: _Reviews) -> None:
    status, reference, _ = reviews.run()
    refs = _git(reviews.tree, "for-each-ref", "--format=%(refname)", "refs/reviewer").split()
    assert refs
    for ref in refs:  # as if a review had died inside `git update-ref` of each
        _git(reviews.tree, "update-ref", "-d", ref)
        (reviews.tree / ".git" / f"{ref}.lock").write_text("")
    again_status, again, err = reviews.run()
    assert err == "" and (again_status, again) == (status, reference)
    assert not list((reviews.tree / ".git" / "refs" / "reviewer").rglob("*.lock"))


def test_ctrl_c_ends_in_one_line_and_leaves_no_temporary_files(reviews: _Reviews) -> None:
    reviews.run()  # the tree's facts cached, as for the interrupted runs: time one like them
    proc, working = reviews.start_working()
    proc.communicate(timeout=120)
    duration = time.monotonic() - working
    interrupted = 0
    for step in range(0, 4):  # from its first request to lore to three quarters of the run
        proc, working = reviews.start_working()
        time.sleep(duration * step / 4)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        if proc.returncode == 130:
            interrupted += 1
            # one line, and no report: an interrupt that comes once the report is being written
            # is too late to stop the review and lets the report out whole (then it is not 130)
            assert err == "review: interrupted\n" and out == ""
        else:  # it had finished: a whole review
            assert proc.returncode in (0, 1) and err == "" and json.loads(out)
        assert [p.name for p in reviews.scratch.iterdir()] == []
        reviews.check_consistent()
    assert interrupted >= 2


def test_two_reviews_of_one_thread_at_once_finish_and_agree(reviews: _Reviews) -> None:
    status, reference, _ = reviews.run()
    for _ in range(3):
        procs = [reviews.start() for _ in range(3)]
        results = [(p.returncode, out, err) for p in procs for out, err in [p.communicate(timeout=120)]]
        for code, out, err in results:
            assert err == "" and code == status
            assert json.loads(out) == reference
        reviews.check_consistent()
