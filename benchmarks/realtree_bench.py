"""A whole review on a real kernel tree, cold and warm cache, beside ``b4 shazam -H``.

    .venv/bin/python benchmarks/realtree_bench.py [--tree /work/data/linux] [--repeat 3]
        [--sizes 7000 70000 200000] [--skip-b4] [--skip-generated]

1. ``review seed-thread.mbox --offline --tree T`` end to end (the installed command, a fresh
   process each time) with an empty cache directory (cold) and again with the cache it left
   (warm). ``GIT_TRACE`` counts the git processes and the greps each run started; a tree-wide
   grep is one with no pathspec or one half of the tree (top-level entries; a big tree is
   searched as two halves at once), not one naming a revision's files.
2. In the same run, ``b4 shazam -H -m v1.mbox`` (sparse worktree, ``git am``, FETCH_HEAD) in a
   scratch ``clone --shared`` of T, so T itself is untouched. b4's ``git am`` writes the whole
   tree, so blobs a partial clone lacks must go: the scratch clone's HEAD is T's tree without
   them (the count is printed), and this review is timed on that same tree too for the ratio.
3. The same review on the small trees: the 5.12.9 excerpt (``../shared/kernel/make-tree.sh``)
   and the tree built from the thread's own pre-images (``reviewer.testtree``).
4. Cost per revision, apply and checks, no simulator, on generated trees of 7k / 70k / 200k
   files (benchmarks/apply_bench.py's trees), cold and warm.

Times are the minimum of ``--repeat`` runs; the load average is printed before each part.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from apply_bench import generate  # noqa: E402

from reviewer._config import CacheConfig, load_config  # noqa: E402
from reviewer._mbox import split_mbox  # noqa: E402
from reviewer.pipeline import build_review  # noqa: E402
from reviewer.revisions import find_revisions  # noqa: E402
from reviewer.testtree import build_test_tree, layout_tree_files  # noqa: E402
from reviewer.thread import build_thread  # noqa: E402
from reviewer.trees import apply_revision  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
SHARED = ROOT.parent / "shared"
SEED = SHARED / "corpus" / "seed-thread.mbox"
REVIEW = ROOT / ".venv" / "bin" / "review"
B4 = ROOT / ".venv" / "bin" / "b4"


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far, git's included."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def review_once(tree: Path, cache: Path, trace: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``review`` process and the git processes it ran (exit 1
    expected: the thread introduces problems)."""
    config = cache / "bench.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[cache]\ndir = "{cache}"\n')
    env = {**os.environ, "GIT_TRACE": str(trace), "COLUMNS": "140"}
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run([str(REVIEW), str(SEED), "--offline", "--tree", str(tree), "--config",
                           str(config)], capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"review failed: {proc.stderr.decode(errors='replace')}")
    return seconds, children_cpu() - cpu


def _tree_wide(grep: str) -> bool:
    """A grep of the whole tree: no pathspec, or one half of it (top-level entries only); a
    revision's own grep names its files (``:(literal)mm/page_alloc.c``)."""
    specs = grep.split(" -- ", 1)[1].split() if " -- " in grep else []
    return not specs or (len(specs) > 1 and all("/" not in spec for spec in specs))


def git_counts(trace: Path) -> tuple[int, int, int]:
    """(git processes, greps, tree-wide greps) from a GIT_TRACE file."""
    lines = [line for line in trace.read_text(errors="replace").splitlines() if "trace: built-in: git " in line]
    greps = [line for line in lines if "built-in: git grep " in line]
    # The two halves of one search are one tree-wide search.
    searches = {line.split("built-in: ", 1)[1].split(" -- ", 1)[0] for line in greps if _tree_wide(line)}
    return len(lines), len(greps), len(searches)


def cold_and_warm(tree: Path, repeat: int, label: str) -> tuple[float, float]:
    runs: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": []}
    counts: dict[str, tuple[int, int, int]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            cache, trace = Path(tmp) / "cache", Path(tmp) / "trace"
            for kind in ("cold", "warm"):
                runs[kind].append(review_once(tree, cache, trace))
                counts[kind] = git_counts(trace)
                trace.unlink()
    for kind, times in runs.items():
        procs, greps, wide = counts[kind]
        print(f"| {label} | {kind} | {min(w for w, _ in times):.2f} s | {min(c for _, c in times):.2f} s "
              f"| {procs} | {greps} | {wide} |", flush=True)
    return min(w for w, _ in runs["cold"]), min(w for w, _ in runs["warm"])


def scratch_clone(tree: Path) -> tuple[Path, int]:
    """A ``--shared`` clone of ``tree`` whose HEAD is its tree minus blobs the store lacks."""
    clone = WORK / "b4-linux"
    if not (clone / ".git").is_dir():
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(tree), str(clone)], check=True)
    run = lambda *a, **k: subprocess.run(["git", "-C", str(clone), *a], capture_output=True, check=True, **k)  # noqa: E731
    listing = run("ls-tree", "-r", "-z", "origin/HEAD").stdout.split(b"\0")
    entries = [e for e in listing if e]
    ids = b"".join(e.split(b"\t")[0].split()[2] + b"\n" for e in entries)
    status = run("cat-file", "--batch-check", input=ids).stdout.splitlines()
    missing = [e.split(b"\t", 1)[1] for e, s in zip(entries, status, strict=True) if s.endswith(b"missing")]
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        subprocess.run(["git", "-C", str(clone), "read-tree", "origin/HEAD"], env=env, check=True)
        if missing:
            subprocess.run(["git", "-C", str(clone), "rm", "-q", "--cached", "--", *map(bytes.decode, missing)],
                           env=env, check=True, capture_output=True)
        tree_id = subprocess.run(["git", "-C", str(clone), "write-tree"], env=env, check=True,
                                 capture_output=True, text=True).stdout.strip()
    ident = ["-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    commit = subprocess.run(["git", "-C", str(clone), *ident, "commit-tree", tree_id, "-p", "origin/HEAD",
                             "-m", "readable blobs only"], capture_output=True, text=True, check=True).stdout.strip()
    run("update-ref", "refs/heads/readable", commit)
    run("symbolic-ref", "HEAD", "refs/heads/readable")
    return clone, len(missing)


def v1_mbox() -> Path:
    raws = split_mbox(SEED.read_bytes())
    v1 = find_revisions(build_thread(raws))[0]
    raw = next(r for r in raws if v1.message_id.encode() in r)
    path = WORK / "v1.mbox"
    path.write_bytes(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n" + raw)
    return path


def b4_shazam(clone: Path, mbox: Path, repeat: int) -> tuple[float, float]:
    times, cpus = [], []
    for _ in range(repeat):
        subprocess.run(["git", "-C", str(clone), "update-ref", "-d", "FETCH_HEAD"], check=False)
        cpu, start = children_cpu(), time.perf_counter()
        proc = subprocess.run([str(B4), "shazam", "-H", "-m", str(mbox)], cwd=clone,
                              capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
        head = subprocess.run(["git", "-C", str(clone), "rev-parse", "--verify", "-q", "FETCH_HEAD"],
                              capture_output=True, check=False)
        if head.returncode != 0:
            raise RuntimeError(f"b4 shazam -H did not make FETCH_HEAD: {proc.stderr.decode(errors='replace')}")
    return min(times), min(cpus)


def per_revision(sizes: list[int], repeat: int) -> None:
    """apply + checks per revision, no simulator, in one process: cold then warm cache."""
    thread = build_thread(split_mbox(SEED.read_bytes()))
    revisions = find_revisions(thread)
    page_alloc = layout_tree_files(revisions[:1])["mm/page_alloc.c"]
    base_cfg = load_config(include_user=False)
    print("| files | cold, per revision | warm, per revision |")
    print("|---:|---:|---:|")
    for size in sizes:
        tree = generate(size, page_alloc)
        subprocess.run(["git", "-C", str(tree), "symbolic-ref", "HEAD", "refs/heads/master"], check=True)
        colds, warms = [], []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(dir=WORK) as tmp:
                cfg = replace(base_cfg, cache=CacheConfig(Path(tmp)),
                              simulator=replace(base_cfg.simulator, enabled=False))
                colds.append(timed(lambda cfg=cfg, tree=tree: build_review(thread, cfg, tree=tree)))
                warms.append(timed(lambda cfg=cfg, tree=tree: build_review(thread, cfg, tree=tree)))
        n = len(revisions)
        print(f"| {size:,} | {min(colds) / n * 1000:.0f} ms | {min(warms) / n * 1000:.0f} ms |", flush=True)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tree", type=Path, default=Path("/work/data/linux"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="*", default=[7_000, 70_000, 200_000])
    parser.add_argument("--skip-b4", action="store_true")
    parser.add_argument("--skip-generated", action="store_true")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    print(f"## review of {SEED.name} ({load()})")
    print("| tree | cache | wall (min) | CPU (min) | git processes | greps | tree-wide searches |")
    print("|---|---|---:|---:|---:|---:|---:|")
    cold_and_warm(args.tree, args.repeat, f"{args.tree}")
    if not args.skip_b4:
        clone, missing = scratch_clone(args.tree)
        _, warm = cold_and_warm(clone, args.repeat, f"scratch clone ({missing} absent blobs left out)")
        b4, b4_cpu = b4_shazam(clone, v1_mbox(), args.repeat)
        thread = build_thread(split_mbox(SEED.read_bytes()))
        v1 = find_revisions(thread)[0]
        ours = min(timed(lambda: apply_revision(v1, clone, thread_key="bench")) for _ in range(args.repeat))
        print(f"\nb4 shazam -H of v1 on the scratch clone: {b4:.2f} s wall, {b4_cpu:.2f} s CPU "
              f"(min of {args.repeat}); whole warm review / b4 = {warm / b4:.2f}; "
              f"v1 applied alone (apply_revision, in-process): {ours * 1000:.0f} ms, "
              f"b4 / that = {b4 / ours:.1f}")
    small = WORK / "small"
    shutil.rmtree(small, ignore_errors=True)
    subprocess.run(["bash", str(SHARED / "kernel" / "make-tree.sh"), str(small / "excerpt")],
                   check=True, capture_output=True)
    build_test_tree(build_thread(split_mbox(SEED.read_bytes())), small / "testtree")
    print(f"\n## small trees ({load()})")
    print("| tree | cache | wall (min) | CPU (min) | git processes | greps | tree-wide searches |")
    print("|---|---|---:|---:|---:|---:|---:|")
    cold_and_warm(small / "excerpt", args.repeat, "5.12.9 excerpt (29 files)")
    cold_and_warm(small / "testtree", args.repeat, "thread's pre-images (testtree)")
    if not args.skip_generated:
        print(f"\n## cost per revision, apply + checks ({load()})")
        per_revision(args.sizes, args.repeat)


if __name__ == "__main__":
    main()
