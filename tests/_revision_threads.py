"""Threads for the revisions/trees tests, built by the real thread stage.

``seed_thread`` is the seed fixture (fixtures/seed.mbox): its revisions are those of the corpus
copy (the one extra message is an ack). ``corpus_thread`` reads ../shared (real-data tests only).
"""

from __future__ import annotations

import pytest
from _real_data import CORPUS

from reviewer._mbox import split_mbox
from reviewer.model import Thread
from reviewer.thread import build_thread


def corpus_thread(name: str) -> Thread:
    path = CORPUS / name
    return build_thread(split_mbox(path.read_bytes()), source=str(path))


@pytest.fixture(scope="session")
def seed_thread(seed_fixture_thread: Thread) -> Thread:
    return seed_fixture_thread
