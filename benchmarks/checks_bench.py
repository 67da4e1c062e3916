"""Time the checks on the seed thread: without a tree, and on generated kernel-sized trees.

    .venv/bin/python benchmarks/checks_bench.py [--sizes 7000 70000] [--repeat 5]

Per seed revision: ``run_checks`` (both sides, all built-in checks) on a synthetic base, then on
a tree of N files where the tree-wide check runs its two ``git grep`` searches per side. Trees
are generated with ``git fast-import`` under benchmarks/_work/ (gitignored) and reused; one file
in fifty calls ``__free_pages`` (half of those on ``compound_order``), one in a hundred uses
``__GFP_COMP``.
"""

from __future__ import annotations

import argparse
import io
import os
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
from reviewer.check_api import load_checks, run_checks  # noqa: E402
from reviewer.revisions import find_revisions  # noqa: E402
from reviewer.testtree import layout_tree_files  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402
from reviewer.trees import apply_all  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
SEED = ROOT.parent / "shared" / "corpus" / "seed-thread.mbox"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
       "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def _file(i: int) -> bytes:
    body = f"static int f{i}(int x)\n{{\n\treturn x + {i};\n}}\n"
    if i % 50 == 0:
        order = "compound_order(p)" if i % 100 == 0 else "2"
        body += f"static void g{i}(struct page *p)\n{{\n\t__free_pages(p, {order});\n}}\n"
    if i % 100 == 50:
        body += f"static void *h{i}(void) {{ return alloc_pages(__GFP_COMP, 2); }}\n"
    return body.encode()


def generate(size: int, base_files: dict[str, str]) -> Path:
    repo = WORK / f"checks-tree-{size}"
    if (repo / ".git").is_dir():
        return repo
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "master", str(repo)], check=True, env=ENV)
    stream = io.BytesIO()
    stream.write(b"commit refs/heads/master\ncommitter bench <b@example.invalid> 946684800 +0000\n"
                 b"data 4\nbase\n")
    files = {f"drivers/d{i // 500}/f{i}.c": _file(i) for i in range(size - len(base_files))}
    files |= {path: text.encode() for path, text in base_files.items()}
    for path, data in files.items():
        stream.write(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    subprocess.run(["git", "-C", str(repo), "fast-import", "--quiet"], input=stream.getvalue(), check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "reset", "-q", "--hard"], check=True, env=ENV)
    return repo


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[7000, 70000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    checks = load_checks()
    print(f"load_checks: {(time.perf_counter() - start) * 1000:.1f} ms ({len(checks)} checks)")
    thread = build_thread(split_mbox(SEED.read_bytes()), source=str(SEED))
    revisions = find_revisions(thread)
    with tempfile.TemporaryDirectory() as scratch:
        applied = apply_all(revisions, None, thread_key="bench", scratch=Path(scratch))
        for rev, result in zip(revisions, applied, strict=True):
            ms = median_ms(lambda r=rev, a=result: run_checks(r, a, None, checks), args.repeat)
            print(f"no tree      {rev.label[:24]:<24} run_checks {ms:8.1f} ms")
    for size in args.sizes:
        repo = generate(size, layout_tree_files(revisions))
        applied = apply_all(revisions, repo, thread_key="bench-checks")
        for rev, result in zip(revisions, applied, strict=True):
            ms = median_ms(lambda r=rev, a=result: run_checks(r, a, None, checks), args.repeat)
            count = len(run_checks(rev, result, None, checks))
            print(f"{size:>6} files {rev.label[:24]:<24} run_checks {ms:8.1f} ms  ({count} findings)")


if __name__ == "__main__":
    main()
