"""Threads built by ``reviewer.thread.build_thread`` from the shared corpus and the seed fixture.

Session-scoped: building is pure, so every thread test can share one copy.
"""

from __future__ import annotations

import mailbox
from pathlib import Path

import _real_data
import pytest

from reviewer._mbox import split_mbox
from reviewer.model import Thread
from reviewer.thread import build_thread

REPO = Path(__file__).resolve().parents[1]
CORPUS = _real_data.CORPUS
SEED_FIXTURE = REPO / "fixtures" / "seed.mbox"


def corpus_messages(name: str) -> list[bytes]:
    """Messages of a corpus mbox as Python's mailbox reads them (``>From`` still escaped)."""
    box = mailbox.mbox(CORPUS / name, create=False)
    try:
        return [box.get_bytes(key, from_=True) for key in box.iterkeys()]
    finally:
        box.close()


@pytest.fixture(scope="session")
def seed_corpus_thread() -> Thread:
    """The 12-message corpus copy of the seed thread, read with ``mailbox.mbox`` (mboxrd)."""
    return build_thread(corpus_messages("seed-thread.mbox"), source="corpus", mboxrd=True)


@pytest.fixture(scope="session")
def seed_fixture_thread() -> Thread:
    """The 13-message seed fixture (with Michal Hocko's 25 Mar ack), split by ``reviewer._mbox``."""
    return build_thread(split_mbox(SEED_FIXTURE.read_bytes()), source="fixture")
