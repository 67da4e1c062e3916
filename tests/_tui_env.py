"""Fixtures for the TUI tests (pytest plugin): the seed fixture opened and reviewed by the real
pipeline, and analysis streams a test controls.

* ``seed_opened``: ``fixtures/seed.mbox`` through ``open_thread`` (what ``review tui`` paints).
* ``seed_events``: every event the real ``stream_review`` yields for it (no tree: synthetic
  bases), once per session; :func:`replay` plays them back to an app, optionally held at a
  :class:`Gate` so a test decides when the next revision "finishes".
* :class:`Gate` also wraps the *live* pipeline stream (:func:`gated`): the next revision is not
  even started until the test opens the gate, so "cards appear while later revisions are still
  being analysed" is tested on the real thing, without sleeps.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import get_current_worker

from reviewer._config import Config
from reviewer.pipeline import OpenedThread, ReviewEvent, ReviewRequest, open_thread, stream_review
from reviewer.progress import Progress
from reviewer.tui import ReviewerApp

__all__ = ["SEED", "SIZE", "Gate", "drive", "gated", "live", "plain", "replay", "seed_app", "seed_events", "seed_opened",
           "settle"]

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed.mbox"
SIZE = (160, 48)
"""The terminal every TUI test and snapshot runs in (columns, rows)."""


class Gate:
    """Lets one event through per :meth:`release`; records when the stream is closed."""

    def __init__(self) -> None:
        self._tokens = threading.Semaphore(0)
        self.closed = threading.Event()
        self.pulled = 0
        """Events taken from the underlying stream so far."""

    def release(self, count: int = 1) -> None:
        for _ in range(count):
            self._tokens.release()

    def wait(self) -> None:
        """Block the analysis worker until released; give up when the app stops the worker (a
        test that failed half-way must not keep the worker thread, and pytest, waiting)."""
        worker = get_current_worker()
        for _ in range(6000):
            if self._tokens.acquire(timeout=0.01):
                return
            if worker.is_cancelled:
                raise RuntimeError("analysis stopped while held at the gate")
        raise TimeoutError("gate never opened")


def gated(stream: Iterator[ReviewEvent], gate: Gate) -> Generator[ReviewEvent, None, None]:
    """``stream``, each event pulled from it only once the gate lets it (so the work behind the
    next event has not started before that)."""
    try:
        while True:
            gate.wait()
            try:
                event = next(stream)
            except StopIteration:
                return
            gate.pulled += 1
            yield event
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
        gate.closed.set()


def replay(events: Sequence[ReviewEvent], gate: Gate | None = None) -> Callable[[Progress], Generator[ReviewEvent, None, None]]:
    """An app's analysis that yields ``events`` (all at once, or as ``gate`` lets them)."""

    def start(progress: Progress) -> Generator[ReviewEvent, None, None]:
        if gate is None:
            yield from events
        else:
            yield from gated(iter(events), gate)

    return start


def live(opened: OpenedThread, gate: Gate, *, tree: Path | None = None,
         cfg: Config | None = None) -> Callable[[Progress], Generator[ReviewEvent, None, None]]:
    """The real pipeline's stream for ``opened``, behind ``gate``."""

    def start(progress: Progress) -> Generator[ReviewEvent, None, None]:
        return gated(stream_review(opened, cfg or Config(), tree=tree, progress=progress), gate)

    return start


async def settle(pilot: Pilot[None], until: Callable[[], bool], *, seconds: float = 60) -> None:
    """Let the app run until ``until()`` holds (the worker thread posts results asynchronously)."""
    for _ in range(int(seconds / 0.02)):
        if until():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError("the app never got there")


def drive(app: ReviewerApp, script: Callable[[Pilot[None]], Awaitable[None]], *,
          size: tuple[int, int] = SIZE) -> None:
    """Run ``app`` headless (at :data:`SIZE` unless told) and drive it with ``script``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await script(pilot)

    asyncio.run(main())


def plain(widget: Static, width: int = SIZE[0]) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=width, color_system=None, file=io.StringIO())
    console.print(widget.content)
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="session")
def seed_opened() -> OpenedThread:
    return open_thread(ReviewRequest(str(SEED), offline=True), Config())


@pytest.fixture(scope="session")
def seed_events(seed_opened: OpenedThread) -> list[ReviewEvent]:
    return list(stream_review(seed_opened, Config(), tree=None))


@pytest.fixture
def seed_app(seed_opened: OpenedThread, seed_events: list[ReviewEvent]) -> ReviewerApp:
    """The app on the seed fixture, its whole review streamed in at once."""
    return ReviewerApp(seed_opened, analyse=replay(seed_events))
