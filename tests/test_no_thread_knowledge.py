"""The product reaches its verdicts from the code, never by recognising the seed thread.

Nothing the tool runs (reviewer/, checks/, the scenarios, config.toml) may name the seed thread's
people, its commits or its patch titles; the tests are the only place that know them.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KNOWN = re.compile(
    r"hugh|dickins|wilcox|weiner|hannes|willy|hocko|cmpxchg\.org|e320d3012d25|f6f062a3|"
    r"speculative cache lookup|fix allocation imbalances",
    re.IGNORECASE,
)


def _product_files() -> list[Path]:
    files = [ROOT / "config.toml"]
    for folder in ("reviewer", "checks"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".toml", ".json", ".tcss")]
    return files


def test_no_product_file_names_the_seed_thread() -> None:
    hits = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _product_files()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if KNOWN.search(line)
    ]
    assert hits == []
