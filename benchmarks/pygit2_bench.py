"""Would pygit2 (libgit2 in-process) beat the git subprocesses the tree stage runs?

    .venv/bin/pip install pygit2   # not a dependency: only this measurement uses it
    .venv/bin/python benchmarks/pygit2_bench.py [--tree /work/data/linux] [--repeat 5]

The operations a review does on a kernel tree, each timed both ways (minimum of ``--repeat``):
reading the blobs of the touched files (``git cat-file --batch``, one process per run, against
``Repository[...]``), listing a directory (``git ls-tree`` against tree iteration), resolving a
commit's tree, writing a tree (``git mktree``) and a whole-tree search for a fixed string
(``git grep -F`` against reading every blob through pygit2 and searching it in Python).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reviewer.trees import TreeSearch, open_repo  # noqa: E402

PATHS = ["mm/page_alloc.c", "mm/memcontrol.c", "include/linux/mm.h", "include/linux/page_ref.h",
         "mm/swap.c", "mm/internal.h"]


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    import pygit2

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=Path("/work/data/linux"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--grep", action="store_true", help="also the whole-tree search (slow)")
    args = parser.parse_args()

    git = open_repo(args.tree)
    head = git.out("rev-parse", "HEAD")
    repo = pygit2.Repository(str(args.tree))
    commit = repo.revparse_single(head)

    def ours_blobs() -> None:
        for p in PATHS:
            git.blob(f"{head}:{p}")

    def pygit2_blobs() -> None:
        tree = commit.peel(pygit2.Tree)
        for p in PATHS:
            tree[p].data  # noqa: B018

    ours_blobs()  # start the cat-file process outside the timing (once per run)
    rows = [
        ("6 blobs (2.5 MB)", best(ours_blobs, args.repeat), best(pygit2_blobs, args.repeat)),
        ("ls-tree of mm/", best(lambda: git.run(["ls-tree", "-z", f"{head}:mm"]), args.repeat),
         best(lambda: [e.name for e in commit.peel(pygit2.Tree)["mm"]], args.repeat)),
        ("commit -> tree id", best(lambda: git.out("rev-parse", f"{head}^{{tree}}"), args.repeat),
         best(lambda: str(commit.peel(pygit2.Tree).id), args.repeat)),
        ("mktree of mm/ (write)", best(lambda: git.out("mktree", "-z", input=git.run(
            ["ls-tree", "-z", f"{head}:mm"]).stdout), args.repeat),
         best(lambda: repo.TreeBuilder(commit.peel(pygit2.Tree)["mm"]).write(), args.repeat)),
    ]
    if args.grep:
        search = TreeSearch(git)

        def pygit2_grep() -> int:
            found = 0
            stack = [commit.peel(pygit2.Tree)]
            while stack:
                for entry in stack.pop():
                    if entry.type_str == "tree":
                        stack.append(repo[entry.id])
                    elif entry.type_str == "blob":
                        with contextlib.suppress(KeyError):  # a blob a partial clone lacks
                            found += repo[entry.id].data.count(b"__GFP_COMP")
            return found

        rows.append(("whole-tree search, fixed string", best(
            lambda: search._run(head, ["-F", "-e", "__GFP_COMP"], [], False), 1), best(pygit2_grep, 1)))
    print(f"tree {args.tree} at {head[:12]}, pygit2 {pygit2.__version__} (libgit2 {pygit2.LIBGIT2_VERSION})")
    print("| operation | git (our runner) | pygit2 |")
    print("|---|---:|---:|")
    for what, ours, theirs in rows:
        print(f"| {what} | {ours * 1000:.1f} ms | {theirs * 1000:.1f} ms |")


if __name__ == "__main__":
    main()
