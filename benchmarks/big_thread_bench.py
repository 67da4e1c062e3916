"""A generated 5,000-message thread through the whole ``review``: time and peak memory.

Run: .venv/bin/python benchmarks/big_thread_bench.py [--count 5000] [--runs 3]

Two shapes from ``fixtures/malformed/build_cases.py: big_thread``: *wide* (the patch, then
review chains of up to 12 replies, an inline revision every 50th reply: 100 revisions) and
*deep* (every message answers the one before it: a 5,000-level chain). Each measurement is a
fresh ``review <mbox> --format json`` (and the text view) process with no tree (synthetic
bases) and the simulator on; wall and CPU seconds (user + sys, the process and its git children)
and peak RSS (``ru_maxrss``) are taken from ``getrusage``; the minimum of ``--runs`` runs is
reported, with the load average, because the machine is shared.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
REVIEW = Path(sys.executable).parent / "review"


def _build_cases() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_cases", ROOT / "fixtures" / "malformed" / "build_cases.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_cases"] = module
    spec.loader.exec_module(module)
    return module


def measure(argv: list[str]) -> tuple[float, float, int, int]:
    """(wall s, CPU s of the process and its children, peak RSS KiB of the largest, exit status)."""
    script = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
        "wall = time.perf_counter() - t\n"
        "ru = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2]), int(out[3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    build = _build_cases()
    with tempfile.TemporaryDirectory(prefix="reviewer-big-") as tmp:
        env_home = Path(tmp)
        os.environ.update(XDG_CACHE_HOME=str(env_home / "cache"), XDG_CONFIG_HOME=str(env_home / "config"))
        for shape, depth in (("wide", 12), ("deep", args.count)):
            mbox = Path(tmp) / f"{shape}.mbox"
            t = time.perf_counter()
            mbox.write_bytes(build.big_thread(args.count, depth=depth))
            made = time.perf_counter() - t
            print(f"{shape}: {args.count} messages, {mbox.stat().st_size / 1e6:.1f} MB, "
                  f"generated in {made:.2f} s; load {os.getloadavg()[0]:.1f}")
            for label, extra in (("json", ["--format", "json"]), ("text", [])):
                runs = [measure([str(REVIEW), str(mbox), *extra]) for _ in range(args.runs)]
                wall, cpu, rss, status = min(runs)
                print(f"  review --format {label:<5} wall {wall:6.1f} s  cpu {cpu:6.1f} s  "
                      f"peak RSS {rss / 1024:6.0f} MiB  exit {status}  (min of {args.runs})")


if __name__ == "__main__":
    main()
