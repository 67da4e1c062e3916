"""Values for the draft tests (pytest plugin): the seed fixture reviewed by the real pipeline on a
test tree of its own pre-images (no ../shared needed), and a sender.

Also the seed fixture read independently of reviewer's parsers (``mailbox`` and ``email``), so
threading headers are checked against the standard library's reading of the thread.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest

from reviewer._config import Config
from reviewer._mbox import split_mbox
from reviewer.model import Address, Review
from reviewer.pipeline import build_review
from reviewer.testtree import build_test_tree
from reviewer.thread import build_thread

__all__ = ["SEED_MBOX", "SENDER", "seed_messages", "seed_review_fixture", "seed_tree"]

SEED_MBOX = Path(__file__).resolve().parents[1] / "fixtures" / "seed.mbox"
SENDER = Address("Ann Reviewer", "ann@example.org")
V2_MESSAGE = "YFo7SOni0s0TbXUm@cmpxchg.org"
"""The reply carrying v2 (posted inline, 23 Mar) in the seed thread."""


def seed_messages() -> dict[str, EmailMessage]:
    """Message-ID (no brackets) -> message, as the standard library reads the fixture."""
    box = mailbox.mbox(SEED_MBOX, create=False)
    try:
        out: dict[str, EmailMessage] = {}
        for key in box.iterkeys():
            msg = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            out[str(msg["Message-ID"]).strip().strip("<>")] = msg
        return out
    finally:
        box.close()


@pytest.fixture(scope="session")
def seed_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    thread = build_thread(split_mbox(SEED_MBOX.read_bytes()))
    return build_test_tree(thread, tmp_path_factory.mktemp("draft-seed-tree") / "linux")


@pytest.fixture(scope="session")
def seed_review_fixture(seed_tree: Path) -> Review:
    """The bundled seed thread through the whole pipeline (the review `review draft` drafts from)."""
    thread = build_thread(split_mbox(SEED_MBOX.read_bytes()), source=str(SEED_MBOX))
    return build_review(thread, Config(), tree=seed_tree)
