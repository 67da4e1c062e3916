"""Time the Fixes: stage on a long history of mm/page_alloc.c.

    .venv/bin/python benchmarks/fixes_bench.py [--commits 2000] [--every 25] [--repeat 3]

A repository under benchmarks/_work/ (gitignored, reused) holds ``--commits`` commits, each
changing mm/page_alloc.c (a line near the top of the file), laid out from the seed fixture's
pre-images (reviewer.testtree) so the thread's revisions apply to the tip. Every ``--every``-th
commit also changes __free_pages() (a comment line in its body); the commit 60% of the way in
brings in the form v2's Fixes: tag names (before it, __free_pages() only freed the block when the
count reached zero). Measured, minimum of ``--repeat`` runs, CPU seconds of this process and its
git children (the machine is shared: wall time is noisy):

* ``git log -L`` over the function's history from the tip (History.walk), and the title search;
* the whole review of the seed thread with and without the Fixes: stage, (a) v2's tag as
  posted (found by title: the tree is "rebased"), (b) v2 without its tag (a Fixes: line is
  offered by bisection); the difference is the stage's cost, with the versions it simulated.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import reviewer.pipeline as pipeline  # noqa: E402
from reviewer._config import Config  # noqa: E402
from reviewer._mbox import split_mbox  # noqa: E402
from reviewer.fixes._history import History  # noqa: E402
from reviewer.model import Review  # noqa: E402
from reviewer.revisions import find_revisions  # noqa: E402
from reviewer.testtree import layout_tree_files  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402
from reviewer.trees import find_functions  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
SEED = ROOT / "fixtures" / "seed.mbox"
TITLE = "mm/page_alloc.c: fix freeing non-compound pages"
TAG_LINE = rb"^Fixes: e320d3012d25 [^\n]*\n"
BEFORE = """void __free_pages(struct page *page, unsigned int order)
{
\tif (put_page_testzero(page))
\t\tfree_the_page(page, order);
}
"""
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def thread(without_tag: bool = False):  # type: ignore[no-untyped-def]
    data = SEED.read_bytes()
    if without_tag:
        data = re.sub(TAG_LINE, b"", data, count=1, flags=re.M)
    return build_thread(split_mbox(data), source=str(SEED))


def generate(commits: int, every: int) -> tuple[Path, int]:
    repo = WORK / f"fixes-history-{commits}-{every}"
    intro = commits * 6 // 10
    if (repo / "refs" / "heads" / "master").exists():
        return repo, intro
    files = layout_tree_files(find_revisions(thread()))
    layout = files["mm/page_alloc.c"]
    at = next(f for f in find_functions(layout, "mm/page_alloc.c") if f.name == "__free_pages")
    at_source = at.source(layout.split("\n"))
    subprocess.run(["git", "init", "-q", "--bare", "-b", "master", str(repo)], check=True, env=ENV)
    stream = io.BytesIO()
    for n in range(commits):
        function = BEFORE if n < intro else at_source
        if n % every == 1 and n != commits - 1:
            function = function.replace("{\n", f"{{\n\t/* change {n} */\n", 1)
        text = layout.replace(at_source, function).replace("\n", f"\n/* revision {n} */\n", 1)
        if n == commits - 1:
            text = layout
        title = TITLE if n == intro else f"mm: change {n}"
        stream.write(f"commit refs/heads/master\nmark :{n + 1}\n"
                     f"author Bench <bench@example.invalid> {946684800 + n} +0000\n"
                     f"committer Bench <bench@example.invalid> {946684800 + n} +0000\n".encode())
        message = title.encode()
        stream.write(b"data %d\n%s\n" % (len(message), message))
        if n:
            stream.write(f"from :{n}\n".encode())
        for path, content in files.items():
            if n and path != "mm/page_alloc.c":
                continue
            data = (text if path == "mm/page_alloc.c" else content).encode()
            stream.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", f"--git-dir={repo}", "fast-import", "--quiet"], input=stream.getvalue(),
                   check=True, env=ENV)
    return repo, intro


def _cpu() -> float:
    """CPU seconds of this process and its finished children (git): stabler than wall time on a
    shared machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Minimum CPU seconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = _cpu()
        result = fn()
        times.append(_cpu() - start)
    return min(times), result


class _NoFixes:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def review(self, *args: object, **kwargs: object) -> None:
        return None


def review(tree: Path, without_tag: bool, fixes: bool) -> Review:
    real = pipeline.FixesStage
    if not fixes:
        pipeline.FixesStage = _NoFixes  # type: ignore[assignment,misc]
    try:
        return pipeline.build_review(thread(without_tag), Config(), tree=tree)
    finally:
        pipeline.FixesStage = real  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--every", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    repo, intro = generate(args.commits, args.every)
    history = History(repo)
    tip = history.branch_head("master")
    assert tip is not None
    images = {k: v for k, v in history.images(tip, [("__free_pages", "mm/page_alloc.c")]).items() if v}
    print(f"load average: {os.getloadavg()[0]:.2f}; {args.commits} commits, the function changed in every "
          f"{args.every}th, the named form at commit {intro}")
    seconds, walked = best(lambda: history.walk(tip, images, limit=10_000), args.repeat)
    print(f"git log -L (History.walk), whole history: {seconds:.2f} CPU s, {len(walked)} commits")  # type: ignore[arg-type]
    seconds, _ = best(lambda: history.walk(tip, images, limit=200), args.repeat)
    print(f"git log -L, --max-count=200 (the stage's limit): {seconds:.2f} CPU s")
    seconds, found = best(lambda: history.find_by_title(TITLE, tip, ["mm/page_alloc.c"], limit=10), args.repeat)
    print(f"title search (git log --grep -- mm/page_alloc.c): {seconds:.2f} CPU s, found={bool(found)}")
    for without_tag, what in ((False, "v2 with its tag (found by title)"), (True, "v2 without its tag (bisection)")):
        plain, _ = best(functools.partial(review, repo, without_tag, fixes=False), args.repeat)
        full, result = best(functools.partial(review, repo, without_tag, fixes=True), args.repeat)
        assert isinstance(result, Review)
        v2 = next(rr for rr in result.revisions if rr.revision.label.startswith("v2"))
        assert v2.fixes is not None
        extra = (f"suggested {v2.fixes.suggestions[0].commit.sha[:12]} after {v2.fixes.suggestions[0].simulations} "
                 f"versions over {v2.fixes.suggestions[0].commits} commits" if v2.fixes.suggestions
                 else f"tag {v2.fixes.tags[0].verdict.value}")
        print(f"review, {what}: {plain:.2f} CPU s without the stage, {full:.2f} CPU s with it "
              f"(+{full - plain:.2f}); {extra}")


if __name__ == "__main__":
    main()
