"""The C-level checks on small kernel-style functions whose offending lines say so (mypy-style).

Each ``check_cases/c/*.c`` file is one function, taken as a revision's post-image (the base has
an empty function of the same name); a line ending in ``/* E: <check id> */`` must produce a
finding of that check there, and no other line may produce one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from check_cases.build import findings, make_case

CASES = sorted((Path(__file__).resolve().parent / "check_cases" / "c").glob("*.c"))
MARK = re.compile(r"/\* E: ([a-z0-9.-]+) \*/")
C_CHECKS = ("read-after-put", "split-then-free-high-order")
START = 200


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_findings_are_exactly_the_marked_lines(path: Path) -> None:
    source = path.read_text()
    expected = {(START + i, m.group(1)) for i, line in enumerate(source.splitlines()) if (m := MARK.search(line))}
    signature = source.split("\n")[0]
    case = make_case(signature + "\n{\n}\n", source, start=START)
    got = {(f.line, f.check) for check in C_CHECKS for f in findings(case, check)}
    assert got == expected
    assert all(f.status.value == "introduced" for check in C_CHECKS for f in findings(case, check))
