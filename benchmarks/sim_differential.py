"""Model against the real code: each model function the 5.12.9 excerpt also defines, run both
ways on every built-in scenario x configuration (tests/sim_differential.py says how).

Run: .venv/bin/python benchmarks/sim_differential.py [--tree DIR] [--orders 0 1 2 3]
(without --tree, the excerpt from ../shared/kernel/make-tree.sh is built in a temporary folder).
Prints the markdown table BENCHMARKS.md holds.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _real_data import KERNEL  # noqa: E402
from sim_differential import compare, entry_cells, model_functions  # noqa: E402

from reviewer._config import load_config  # noqa: E402
from reviewer.sim.resolve import TreeSource  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path)
    parser.add_argument("--orders", type=int, nargs="+", default=[0, 1, 2, 3])
    args = parser.parse_args()
    kconfig = load_config(include_user=False).kconfig_map
    with tempfile.TemporaryDirectory() as tmp:
        tree = args.tree
        if tree is None:
            tree = Path(tmp) / "linux"
            subprocess.run(["bash", str(KERNEL / "make-tree.sh"), str(tree)], check=True, capture_output=True)
        started = time.perf_counter()
        orders = tuple(args.orders)
        cells = entry_cells(tree, orders=orders, kconfig=kconfig)
        names = model_functions(TreeSource(tree, "HEAD", kconfig=kconfig, roots=["mm/page_alloc.c"]))
        cells += compare(tree, names, orders=orders, kconfig=kconfig)
        print(f"{len(cells)} cells in {time.perf_counter() - started:.1f} s\n")
        print("| function | cells | real code ran | agree | differ | real side not analysed (first reason) |")
        print("|---|---:|---:|---:|---:|---|")
        by: dict[str, list] = {}  # type: ignore[type-arg]
        for c in cells:
            by.setdefault(c.function, []).append(c)
        for fn, cs in by.items():
            na = [c for c in cs if isinstance(c.real, str)]
            differ = [c for c in cs if not c.agrees and not isinstance(c.real, str)]
            reason = na[0].real if na else ""
            print(f"| `{fn}` | {len(cs)} | {sum(c.reached for c in cs)} | {sum(c.agrees for c in cs)} | "
                  f"{len(differ)} | {str(reason).replace('|', '/')[:150]} |")
        for c in cells:
            if not c.agrees and not isinstance(c.real, str):
                print(f"\ndiffers: {c.function} {c.scenario} [{c.config.key}]\n  model: {sorted(map(sorted, c.model))}"
                      f"\n  real:  {sorted(map(sorted, c.real))}")


if __name__ == "__main__":
    main()
