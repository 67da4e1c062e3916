#!/usr/bin/env python3
"""The fuzz run (``make fuzz``): every property of tests/test_properties.py with the ``fuzz``
hypothesis profile, at least 100,000 generated inputs in all, then one summary line.

    .venv/bin/python tests/fuzz.py [--examples N]     # N per property (default 12,500)

Exits non-zero when a property failed or fewer than 100,000 inputs passed. Record the summary
line in TESTING.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import hypothesis

TESTS = Path(__file__).resolve().parent
MINIMUM = 100_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--examples", type=int, default=12_500, help="examples per property")
    args = parser.parse_args()
    env = {**os.environ, "REVIEWER_FUZZ_EXAMPLES": str(args.examples)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(TESTS / "test_properties.py"),
         "--hypothesis-profile=fuzz", "--hypothesis-show-statistics"],
        capture_output=True, text=True, env=env, cwd=TESTS.parent, check=False,
    )
    seconds = time.monotonic() - started
    passing = [int(n) for n in re.findall(r"- (\d+) passing, \d+ failing", proc.stdout)]
    failing = sum(int(n) for n in re.findall(r"- \d+ passing, (\d+) failing", proc.stdout))
    total = sum(passing)
    summary = (f"fuzz: {total:,} generated inputs passed through {len(passing)} properties, "
               f"{failing} failing, pytest exit {proc.returncode}, in {seconds:.0f} s "
               f"(hypothesis {hypothesis.__version__}, {args.examples:,} per property)")
    if proc.returncode != 0:
        sys.stdout.write(proc.stdout[-20_000:])
        sys.stderr.write(proc.stderr[-5_000:])
    print(summary)
    return 0 if proc.returncode == 0 and total >= MINIMUM else 1


if __name__ == "__main__":
    sys.exit(main())
