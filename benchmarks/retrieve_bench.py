"""Retrieval timings: local seed mbox, fetch through b4/liblore from the loopback lore server
(cold, --refresh, warm cache) and the other-versions search (cold, warm).

Run: .venv/bin/python benchmarks/retrieve_bench.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from _lore_server import LoreServer  # noqa: E402

from reviewer._config import CacheConfig, Config, LoreConfig  # noqa: E402
from reviewer._input import classify_input  # noqa: E402
from reviewer._retrieve import fetch_thread  # noqa: E402
from reviewer._versions import find_other_versions  # noqa: E402

V1 = "20210319071547.60973-1-hannes@cmpxchg.org"


def timed(label: str, fn: Callable[[], object], runs: int = 20) -> None:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    print(f"{label:<42} median {statistics.median(samples):7.2f} ms   max {max(samples):7.2f} ms")


def main() -> None:
    server = LoreServer()
    server.add_mbox(ROOT / "fixtures" / "seed.mbox")
    for p in sorted((ROOT / "fixtures" / "versions").glob("*.mbox")):
        server.add_mbox(p)
    server.start()
    with tempfile.TemporaryDirectory() as tmp:
        gitconfig = Path(tmp) / "gitconfig"
        gitconfig.write_text(f"[b4]\n\tmidmask = {server.midmask}\n")
        os.environ["GIT_CONFIG_GLOBAL"] = str(gitconfig)
        os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
        counter = iter(range(10**6))

        def fresh_cfg() -> Config:
            return Config(lore=LoreConfig(timeout=5), cache=CacheConfig(Path(tmp) / f"c{next(counter)}"))

        warm = fresh_cfg()
        src = classify_input(V1)
        fetch_thread(src, warm)
        timed("local seed mbox (13 messages)", lambda: fetch_thread(
            classify_input(str(ROOT / "fixtures" / "seed.mbox")), warm))
        timed("fetch via b4, cold cache", lambda: fetch_thread(src, fresh_cfg()))
        timed("fetch via b4, --refresh", lambda: fetch_thread(src, warm, refresh=True))
        timed("fetch, warm cache", lambda: fetch_thread(src, warm))
        date = datetime(2024, 1, 1, 12, tzinfo=UTC)
        title = "mm: frob: fix widget refcount leak"
        timed("other versions, 3 queries, cold", lambda: find_other_versions(
            title, 1, date, fresh_cfg(), change_ids=("20240101-frob-leak-5f3a9c1d2e7b",),
            link_ids=("x@example.org",)))
        timed("other versions, 3 queries, warm", lambda: find_other_versions(
            title, 1, date, warm, change_ids=("20240101-frob-leak-5f3a9c1d2e7b",),
            link_ids=("x@example.org",)))
    server.stop()


if __name__ == "__main__":
    main()
