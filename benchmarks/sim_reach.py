"""Reach: the share of (revision x scenario x configuration) cells the simulator analyses.

Revisions: every revision of every thread in ../shared/corpus/ (reviewed against the tree), and
one generated mutant of each function in mm/page_alloc.c and mm/swap.c that takes a
``struct page *`` and that the configuration compiles (its first ``if`` condition negated, or a
``barrier();`` added when it has none). On main (no preprocessor) every definition counts. Writes one JSON record per cell; ``--compare BEFORE AFTER`` prints the table and the
"not analysed" reasons ranked by count. A revision the simulator did not run at all ("no
scenario exercises ...") counts, in a run that has no cells for it, as the other run's cells for
it, all not analysed.

Run from a source tree (this one, or an export of main with this file copied in):
    python benchmarks/sim_reach.py --tree DIR --out after.json
    python benchmarks/sim_reach.py --compare before.json after.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FILES = ("mm/page_alloc.c", "mm/swap.c")


def _lookup(repo: Path, commit: str, kconfig: dict[str, Any], files: tuple[str, ...]) -> Any:
    from reviewer.sim.resolve import TreeSource

    return TreeSource(repo, commit, kconfig=kconfig, roots=list(files))


def corpus_cells(tree: Path, cfg: Any, corpus: Path = CORPUS) -> list[dict[str, Any]]:
    from _lore_server import read_mbox_messages

    from reviewer.model import RevisionKind
    from reviewer.pipeline import build_review
    from reviewer.thread import build_thread

    out = []
    for mbox in sorted(corpus.glob("*.mbox")):
        thread = build_thread(read_mbox_messages(mbox.read_bytes()))
        review = build_review(thread, cfg, tree=tree)
        for rr in review.revisions:
            if rr.revision.kind is RevisionKind.BASE or rr.applied is None or not rr.applied.applied:
                continue
            key = f"{mbox.stem}:{rr.revision.label}"
            if not rr.sim_verdicts:
                if rr.applied.functions:
                    out.append({"revision": key, "scenario": "", "config": "", "outcome": "not-simulated",
                                "reason": "no scenario exercises the revision's functions"})
                continue
            for v in rr.sim_verdicts:
                out.append({"revision": key, "scenario": v.scenario, "config": v.config.key,
                            "outcome": v.outcome, "reason": v.reason})
    return out


def _functions_taking_a_page(source: str, path: str) -> list[tuple[str, int, int]]:
    from reviewer.trees import find_functions

    lines = source.split("\n")
    out = []
    for f in find_functions(source, path):
        head = " ".join(lines[f.start_line - 1:f.end_line]).split("{", 1)[0]
        if re.search(r"\bstruct page \*\s*\w+\s*[,)]", head):
            out.append((f.name, f.start_line, f.end_line))
    return out


def mutate(source: str) -> str:
    """Negate the first if condition; without one, add a barrier() first thing in the body."""
    from reviewer.cparse import parse_c

    data = source.encode()
    stack = [parse_c(data).root_node]
    while stack:
        node = stack.pop(0)
        if node.type == "if_statement":
            cond = node.child_by_field_name("condition")
            if cond is not None:
                a, b = cond.start_byte, cond.end_byte  # the parenthesised condition
                return (data[:a] + b"(!" + data[a:b] + b")" + data[b:]).decode()
        stack.extend(node.children)
    brace = source.index("{")
    return source[:brace + 1] + "\n\tbarrier();" + source[brace + 1:]


def mutant_cells(tree: Path, cfg: Any) -> list[dict[str, Any]]:
    import subprocess

    from reviewer.model import FunctionImage, TouchedFunction
    from reviewer.sim import SimCache, simulate_revision

    kconfig = cfg.kconfig_map
    lookup = _lookup(tree, "HEAD", kconfig, FILES)
    out = []
    for path in FILES:
        source = subprocess.run(["git", "-C", str(tree), "show", f"HEAD:{path}"], capture_output=True,
                                check=True).stdout.decode(errors="replace")
        lines = source.split("\n")
        for name, start, end in _functions_taking_a_page(source, path):
            active = lookup.lookup(name) if hasattr(lookup, "struct_layout") else None
            if hasattr(lookup, "struct_layout") and (active is None or active.start_line != start):
                continue  # configured out (or the other #ifdef branch of it): not in this build
            text = "\n".join(lines[start - 1:end]) + "\n"
            pre = FunctionImage(name, path, start, end, text)
            mutated = mutate(text)
            post = FunctionImage(name, path, start, start + mutated.count("\n") - 1, mutated)
            result = simulate_revision(f"mutant:{name}", [TouchedFunction(name, path, pre, post)],
                                       base_id="base", post_lookup=lookup, pre_lookup=lookup,
                                       config=cfg.simulator, kconfig=kconfig, cache=SimCache())
            key = f"mutant:{path}:{name}"
            if not result.revision:
                out.append({"revision": key, "scenario": "", "config": "", "outcome": "not-simulated",
                            "reason": "no scenario exercises the revision's functions"})
            for v in result.revision:
                out.append({"revision": key, "scenario": v.scenario, "config": v.config.key,
                            "outcome": v.outcome, "reason": v.reason})
            print(f"  {key}: {len(result.revision)} cells", file=sys.stderr)
    return out


def normalise(reason: str) -> str:
    text = re.sub(r" at [\w./()\- ]+:\d+", "", reason)
    text = re.sub(r"\b0x[0-9a-f]+\b|\b\d+\b", "N", text)
    return text.split("; base not analysed")[0][:160]


def compare(before_path: Path, after_path: Path) -> None:
    after = json.loads(after_path.read_text())
    # the same revisions on both sides (the after run skips functions the configuration compiles out)
    kept = {c["revision"] for c in after}
    before = [c for c in json.loads(before_path.read_text()) if c["revision"] in kept]
    after_cells: dict[str, int] = Counter(c["revision"] for c in after if c["outcome"] != "not-simulated")
    before_cells: dict[str, int] = Counter(c["revision"] for c in before if c["outcome"] != "not-simulated")

    def expand(run: list[dict[str, Any]], other: dict[str, int]) -> list[dict[str, Any]]:
        out = []
        for c in run:
            if c["outcome"] == "not-simulated":
                out += [dict(c, outcome="not-analysed")] * max(other.get(c["revision"], 0), 1)
            else:
                out.append(c)
        return out

    for label, run, other in (("before", before, after_cells), ("after", after, before_cells)):
        cells = expand(run, other)
        for part in ("corpus", "mutant"):
            mine = [c for c in cells if c["revision"].startswith("mutant:") == (part == "mutant")]
            ok = sum(c["outcome"] != "not-analysed" for c in mine)
            revisions = len({c["revision"] for c in mine})
            print(f"{label} {part}: {ok}/{len(mine)} cells analysed "
                  f"({100 * ok / max(len(mine), 1):.1f}%) over {revisions} revisions")
        ok = sum(c["outcome"] != "not-analysed" for c in cells)
        print(f"{label} total: {ok}/{len(cells)} ({100 * ok / max(len(cells), 1):.1f}%)")
        reasons = Counter(normalise(c["reason"]) for c in cells if c["outcome"] == "not-analysed")
        print(f"\n{label}: not analysed, by reason\n")
        print("| cells | reason |\n|---:|---|")
        for reason, count in reasons.most_common(15):
            print(f"| {count} | {reason.replace('|', '/')} |")
        print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--compare", type=Path, nargs=2)
    parser.add_argument("--skip-corpus", action="store_true")
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    from reviewer._config import CacheConfig, load_config

    cfg = load_config(include_user=False)
    cfg = replace(cfg, cache=CacheConfig(Path(args.out).with_suffix(".cache")))
    started = time.perf_counter()
    cells = [] if args.skip_corpus else corpus_cells(args.tree, cfg, args.corpus)
    print(f"corpus: {len(cells)} cells, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cells += mutant_cells(args.tree, cfg)
    print(f"total: {len(cells)} cells, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    args.out.write_text(json.dumps(cells, indent=0))


if __name__ == "__main__":
    main()
