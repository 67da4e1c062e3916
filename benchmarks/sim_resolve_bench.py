"""How callees are read from a tree: pcpp (the choice) against tree-sitter alone and libclang.

For every C file and header of the 5.12.9 excerpt: the time to make its symbols, how many
function definitions each way finds, and whether the definitions a free-path simulation needs
are found right (the macro-generated page flag functions, the one #ifdef branch of a helper
that the configuration selects).

Run: .venv/bin/python benchmarks/sim_resolve_bench.py [--repeat N]
libclang is optional (``pip install libclang`` into any Python and run this file with it and
reviewer importable); without it that column says "not installed".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reviewer.sim.resolve._pp import preprocess_file  # noqa: E402
from reviewer.sim.resolve._symbols import scan_file  # noqa: E402
from reviewer.trees import find_functions  # noqa: E402

EXCERPT = Path(__file__).resolve().parents[2] / "shared" / "kernel" / "linux-5.12.9"
KCONFIG: dict[str, bool | int | str] = {"CONFIG_MEMCG": True, "CONFIG_MEMCG_KMEM": True, "CONFIG_MMU": True,
                                        "CONFIG_SMP": True, "CONFIG_64BIT": True, "CONFIG_CGROUPS": True}
PROBES = {
    # name: (file, a text the right definition holds)
    "PageLRU": ("include/linux/page-flags.h", "test_bit(PG_lru"),
    "SetPageLRU": ("include/linux/page-flags.h", "set_bit(PG_lru"),
    "PageBuddy": ("include/linux/page-flags.h", "page_type"),
    "__SetPageHead": ("include/linux/page-flags.h", "__set_bit(PG_head"),
    "page_ref_dec_and_test": ("include/linux/page_ref.h", "if (false)"),
    "__memcg_kmem_charge_page": ("mm/memcontrol.c", "get_mem_cgroup_from_current"),
    "page_memcg": ("include/linux/memcontrol.h", "memcg_data &"),
    "compound_head": ("include/linux/page-flags.h", "head & 1"),
}


def _files() -> list[Path]:
    return sorted(p for p in EXCERPT.rglob("*") if p.suffix in (".c", ".h"))


def with_pcpp(repeat: int) -> tuple[float, int, dict[str, bool]]:
    best = float("inf")
    count = 0
    found: dict[str, bool] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        count = 0
        texts = {}
        for path in _files():
            rel = str(path.relative_to(EXCERPT))
            text = preprocess_file(path.read_text(errors="replace"), rel, KCONFIG)
            symbols = scan_file(text, rel)
            count += len(symbols.functions)
            texts[rel] = (text, symbols)
        best = min(best, time.perf_counter() - started)
    for name, (rel, needle) in PROBES.items():
        text, symbols = texts[rel]
        entry = symbols.functions.get(name)
        lines = text.split("\n")
        found[name] = entry is not None and not entry[2] and needle in "\n".join(lines[entry[0] - 1:entry[1]])
    return best, count, found


def with_tree_sitter(repeat: int) -> tuple[float, int, dict[str, bool]]:
    best = float("inf")
    count = 0
    spans: dict[str, tuple[str, list[str], list]] = {}  # type: ignore[type-arg]
    for _ in range(repeat):
        started = time.perf_counter()
        count = 0
        for path in _files():
            rel = str(path.relative_to(EXCERPT))
            text = path.read_text(errors="replace")
            fns = find_functions(text, rel)
            count += len(fns)
            spans[rel] = (text, text.split("\n"), fns)
        best = min(best, time.perf_counter() - started)
    found = {}
    for name, (rel, needle) in PROBES.items():
        _, lines, fns = spans[rel]
        hits = [f for f in fns if f.name == name]
        # without the preprocessor every #ifdef branch is there: the first one is a guess
        found[name] = bool(hits) and needle in "\n".join(lines[hits[0].start_line - 1:hits[0].end_line])
    return best, count, found


def with_libclang(repeat: int) -> tuple[float, int, dict[str, bool]] | None:
    try:
        import clang.cindex as ci
    except ImportError:
        return None
    args = ["-x", "c", "-std=gnu11", "-D__KERNEL__", f"-I{EXCERPT / 'include'}", "-nostdinc",
            *(f"-D{k}=1" for k, v in KCONFIG.items() if v)]
    index = ci.Index.create()
    best = float("inf")
    count = 0
    bodies: dict[tuple[str, str], str] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        count = 0
        for path in _files():
            tu = index.parse(str(path), args=args, options=ci.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES * 0)
            text = path.read_text(errors="replace")
            for cursor in tu.cursor.get_children():
                if (cursor.kind == ci.CursorKind.FUNCTION_DECL and cursor.is_definition()
                        and cursor.location.file is not None and Path(cursor.location.file.name) == path):
                    count += 1
                    ext = cursor.extent
                    bodies[(str(path.relative_to(EXCERPT)), cursor.spelling)] = text.encode()[
                        ext.start.offset:ext.end.offset].decode(errors="replace")
        best = min(best, time.perf_counter() - started)
    found = {name: needle in bodies.get((rel, name), "") for name, (rel, needle) in PROBES.items()}
    return best, count, found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [("pcpp + tree-sitter (the resolver)", with_pcpp(args.repeat)),
            ("tree-sitter alone", with_tree_sitter(args.repeat)),
            ("libclang", with_libclang(args.repeat))]
    print(f"{len(_files())} files of the excerpt, best of {args.repeat}\n")
    print("| way | seconds | function definitions | " + " | ".join(f"`{p}`" for p in PROBES) + " |")
    print("|---|---:|---:|" + "---|" * len(PROBES))
    for label, result in rows:
        if result is None:
            print(f"| {label} | not installed | | " + " | " * len(PROBES))
            continue
        seconds, count, found = result
        marks = " | ".join("yes" if found[p] else "**no**" for p in PROBES)
        print(f"| {label} | {seconds:.2f} | {count} | {marks} |")


if __name__ == "__main__":
    main()
