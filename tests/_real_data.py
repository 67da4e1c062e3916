"""Real data from ``../shared`` beside the clone: the corpus threads and the Linux 5.12.9 excerpt.

A test that reads it is marked ``real_data`` (``pytestmark = pytest.mark.real_data`` for a whole
module), or uses one of :data:`REAL_DATA_FIXTURES`. In a clone with no ``../shared`` beside it
those tests are skipped with one reason, named once at the end of the run; everything else runs
on the project's own fixtures. With ``REVIEWER_REQUIRE_REAL_DATA=1`` (set by ``.ci/run``) a
missing ``../shared`` stops the run instead, so CI can never go green by skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["CORPUS", "KERNEL", "REAL_DATA_FIXTURES", "REASON", "SHARED", "real_data_available"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
KERNEL = SHARED / "kernel"
REASON = "real-data tests skipped: ../shared/corpus not found"

REAL_DATA_FIXTURES = frozenset({"seed_corpus_thread"})
"""Fixtures (in the other plugins) that read ``../shared``; a test using one needs real data."""

_REQUIRE_ENV = "REVIEWER_REQUIRE_REAL_DATA"
_skipped = pytest.StashKey[int]()


def real_data_available() -> bool:
    return (CORPUS / "seed-thread.mbox").is_file() and (KERNEL / "make-tree.sh").is_file()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "real_data: reads ../shared (corpus threads, kernel excerpt)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if real_data_available():
        return
    if os.environ.get(_REQUIRE_ENV):
        raise pytest.UsageError(f"{SHARED}: not found, and {_REQUIRE_ENV} is set: "
                                "the real-data tests must run here")
    skip = pytest.mark.skip(reason=REASON)
    count = 0
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("real_data") or fixtures & REAL_DATA_FIXTURES:
            item.add_marker(skip)
            count += 1
    config.stash[_skipped] = count


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    count = config.stash.get(_skipped, 0)
    if count:
        terminalreporter.write_line(f"{REASON} ({count} tests)", yellow=True)
