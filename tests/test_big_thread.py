"""A generated thread deeper than Python's recursion limit, through ``review`` (text and JSON).

The 5,000-message timings are a benchmark (benchmarks/big_thread_bench.py, BENCHMARKS.md); this
keeps a long back-and-forth from crashing a stage or a view, and checks it is all there.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from _cli_env import Cli

MALFORMED = Path(__file__).resolve().parents[1] / "fixtures" / "malformed"


@pytest.fixture(scope="module")
def deep_mbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("build_cases", MALFORMED / "build_cases.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_cases", build)
    spec.loader.exec_module(build)
    count = sys.getrecursionlimit() + 200
    path = tmp_path_factory.mktemp("big") / "deep.mbox"
    path.write_bytes(build.big_thread(count, depth=count))
    return path


@pytest.mark.slow
def test_a_chain_deeper_than_the_recursion_limit_is_reviewed(deep_mbox: Path, cli: Cli) -> None:
    count = sys.getrecursionlimit() + 200
    result = cli.run(str(deep_mbox), "--format", "json")
    assert result.err == "" and result.status in (0, 1)
    doc = json.loads(result.out)
    messages = doc["thread"]["messages"]
    assert len(messages) == count
    assert all(m["parent"] == messages[k - 1]["id"] for k, m in enumerate(messages) if k)
    revisions = [r for r in doc["revisions"] if r["kind"] != "base"]
    assert len(revisions) == 1 + (count - 1) // 50 and all(r["applied"] for r in revisions)
    text = cli.run(str(deep_mbox))
    assert text.err == "" and text.status == result.status
    assert f"(reply level {count - 1})" in text.out  # drawn, at a readable indentation
