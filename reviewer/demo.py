"""``make demo``: review the bundled seed thread offline, against a test tree built from its hunks.

The test tree is a small git repository whose files come from the thread's own pre-images
(:func:`reviewer.testtree.build_test_tree`), made in a temporary directory and removed after.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from ._errors import ReviewerError
from ._mbox import split_mbox
from .cli import main as review_main
from .testtree import build_test_tree
from .thread import build_thread

__all__ = ["main"]


def seed_fixture() -> Path:
    path = Path(__file__).resolve().parents[1] / "fixtures" / "seed.mbox"
    if not path.is_file():
        raise ReviewerError(f"{path}: the seed fixture is missing (run the demo from a source checkout)")
    return path


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    try:
        mbox = seed_fixture()
        thread = build_thread(split_mbox(mbox.read_bytes()), source=str(mbox))
    except ReviewerError as exc:
        sys.stderr.write(f"demo: {exc}\n")
        return 2
    with tempfile.TemporaryDirectory(prefix="reviewer-demo-") as tmp:
        tree = build_test_tree(thread, Path(tmp) / "linux")
        status = review_main([str(mbox), "--tree", str(tree), "--offline", *extra])
    if status == 1:
        # `review` exits 1 because the thread's latest revision introduces violations: that is
        # the finding the demo exists to show, not a failure of the demo.
        sys.stderr.write("demo: review exit status 1 (the latest revision introduces violations)\n")
        return 0
    return status


if __name__ == "__main__":
    raise SystemExit(main())
