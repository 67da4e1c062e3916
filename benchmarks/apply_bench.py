"""Time applying the seed's v1 to generated kernel-sized trees, three ways.

    .venv/bin/python benchmarks/apply_bench.py [--sizes 7000 70000 200000] [--repeat 5] [--skip-full]

(a) reviewer's way: ``reviewer.trees.apply_revision`` (partial temporary index + tree graft,
    commit under refs/reviewer/...), and its apply step alone;
(a') the plain temporary-index way for comparison: ``read-tree`` of the whole base into a
    temporary index, ``apply --cached``, ``write-tree``;
(b) b4's way: ``b4.git_fetch_am_into_repo`` (a ``--no-checkout`` worktree, an empty sparse
    checkout, ``git am``, fetch);
(c) a full ``git worktree add`` + ``git am``.

Trees are generated with ``git fast-import`` under benchmarks/_work/ (gitignored) and reused.
Each holds mm/page_alloc.c laid out from the seed thread's pre-images (reviewer.testtree), so
v1 applies, plus N-1 small generated files in a kernel-like directory shape.
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer._mbox import split_mbox  # noqa: E402
from reviewer.model import Revision  # noqa: E402
from reviewer.revisions import file_diffs, find_revisions, patch_text  # noqa: E402
from reviewer.testtree import layout_tree_files  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402
from reviewer.trees import apply_revision  # noqa: E402
from reviewer.trees._apply import apply_to_base  # noqa: E402
from reviewer.trees._git import open_repo  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
SEED = ROOT.parent / "shared" / "corpus" / "seed-thread.mbox"
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "LC_ALL": "C",
}


def git(
    repo: Path, *args: str, input: bytes | None = None, env: dict[str, str] | None = None
) -> str:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args],
        input=input,
        capture_output=True,
        env=env or ENV,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode(errors="replace").strip()


def generate(size: int, page_alloc: str) -> Path:
    """A repository with ``size`` files (one of them mm/page_alloc.c) on master, not checked out."""
    repo = WORK / f"tree-{size}"
    if (repo / ".git" / "refs" / "heads" / "master").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "master")
    stream = io.BytesIO()
    paths = ["mm/page_alloc.c"]
    paths += [f"mm/mm_{i}.c" for i in range(min(150, size - 1))]
    for i in range(size - len(paths)):
        # ~20 top-level dirs, ~40-file leaf dirs: roughly the kernel's shape.
        paths.append(f"top{i % 20}/sub{(i // 20) % 120}/leaf{(i // 2400) % 100}/f{i}.c")
    for n, path in enumerate(paths, 1):
        data = page_alloc.encode() if n == 1 else f"/* {path} */\nint v{n} = {n};\n".encode()
        stream.write(b"blob\nmark :%d\ndata %d\n" % (n, len(data)) + data + b"\n")
    stream.write(
        b"commit refs/heads/master\ncommitter bench <bench@example.invalid> 946684800 +0000\n"
    )
    stream.write(b"data 5\nbase\n")
    for n, path in enumerate(paths, 1):
        stream.write(b"M 100644 :%d %s\n" % (n, path.encode()))
    stream.write(b"\n")
    git(repo, "fast-import", "--quiet", input=stream.getvalue())
    return repo


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def full_read_tree(repo: Path, patch: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**ENV, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "read-tree", "master", env=env)
        git(repo, "apply", "--cached", str(patch), env=env)
        git(repo, "write-tree", env=env)


def b4_way(repo: Path, mbox: bytes) -> None:
    import b4

    # b4 resolves the top level from the current directory (as `b4 shazam` run in the tree does);
    # handing it a path from elsewhere makes `rev-parse --show-toplevel` answer with the cwd.
    here = os.getcwd()
    os.chdir(repo)
    try:
        b4.git_fetch_am_into_repo(None, mbox, at_base="master")
    finally:
        os.chdir(here)


def full_worktree(repo: Path, mbox: bytes) -> float:
    """Seconds for ``worktree add`` + ``am`` (the removal afterwards is not counted)."""
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        wt = Path(tmp) / "wt"
        start = time.perf_counter()
        git(repo, "worktree", "add", "-q", "--detach", str(wt), "master")
        try:
            git(wt, "am", "-q", input=mbox)
            return time.perf_counter() - start
        finally:
            git(repo, "worktree", "remove", "--force", str(wt))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[7_000, 70_000, 200_000])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-full", action="store_true", help="skip (c), the full worktree")
    args = parser.parse_args()
    logging.getLogger("b4").setLevel(logging.ERROR)

    raws = split_mbox(SEED.read_bytes())
    thread = build_thread(raws, source=str(SEED))
    v1 = find_revisions(thread)[0]
    page_alloc = layout_tree_files([v1])["mm/page_alloc.c"]
    v1_raw = next(r for r in raws if v1.message_id.encode() in r)
    mbox = b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + v1_raw
    WORK.mkdir(parents=True, exist_ok=True)
    patch = WORK / "v1.patch"
    patch.write_text(patch_text(v1))

    print(
        "| files | generate | (a) reviewer apply_revision | (a) apply step only "
        "| (a') read-tree index | (b) b4 sparse worktree + am | (c) full worktree + am | b4 / (a) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        print(measure(size, v1, page_alloc, mbox, patch, args.repeat, args.skip_full), flush=True)


def measure(
    size: int, v1: Revision, page_alloc: str, mbox: bytes, patch: Path, repeat: int, skip_full: bool
) -> str:
    start = time.perf_counter()
    repo = generate(size, page_alloc)
    generated = time.perf_counter() - start
    g = open_repo(repo)
    head = git(repo, "rev-parse", "master")
    files = file_diffs(v1)
    text = patch_text(v1)
    ours = median_seconds(
        lambda: apply_revision(v1, repo, thread_key="bench", branch="master"), repeat
    )
    step = median_seconds(lambda: apply_to_base(g, head, files, text, three_way=False), repeat)
    plain = median_seconds(lambda: full_read_tree(repo, patch), repeat)
    b4 = median_seconds(lambda: b4_way(repo, mbox), repeat)
    full = float("nan") if skip_full else full_worktree(repo, mbox)
    return (
        f"| {size:,} | {generated:.1f} s | {ours * 1000:.0f} ms | {step * 1000:.0f} ms "
        f"| {plain * 1000:.0f} ms | {b4 * 1000:.0f} ms | {full:.1f} s | {b4 / ours:.1f}x |"
    )


if __name__ == "__main__":
    main()
