"""Threads from the shared corpus for the revisions/trees tests, built by the real thread stage."""

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
def seed_thread() -> Thread:
    return corpus_thread("seed-thread.mbox")
