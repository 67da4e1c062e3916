"""The analysis in a child process, so that the UI keeps a core and the interpreter lock to itself.

A thread of the app's own process simulates while holding the interpreter lock: every key the
reader presses then waits for it (BENCHMARKS.md, TUI). Here the pipeline's ``stream_review``
runs in a child process and its events come back over a pipe:

* The child is forked before the app starts, when no Textual thread exists to be copied
  half-way; it inherits the opened thread and the configuration instead of having them sent.
* It leads a process group of its own, so that stopping it is what Ctrl-C in a terminal is to
  batch mode: SIGINT to it *and* to the git commands it runs, which remove their lock files on
  the way out. What an interrupted review leaves is then what batch mode's Ctrl-C leaves (whole
  refs and cache entries only, no scratch directory); ``tests/test_tui_child.py`` checks it.
* Each event's review repeats every revision analysed before it (a few hundred KB of traces
  each). A revision already sent goes as a reference to the copy the app holds (pickle's
  persistent ids), and so does the thread, which the app has already; a new revision's verdicts
  go ahead one by one. The app unpickles (holding the interpreter lock) one verdict at a time,
  never the whole review so far.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import os
import pickle
import signal
import warnings
from collections.abc import Generator
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType
from typing import Any

from textual.worker import NoActiveWorker, get_current_worker

from .._config import Config
from .._errors import ReviewerError
from ..model import Review, RevisionReview, Thread
from ..pipeline import OpenedThread, ReviewEvent, RevisionAnalysed, stream_review
from ..progress import Progress

__all__ = ["ChildAnalysis", "ChildFailed"]

_STOP_GRACE = 10.0
"""Seconds a stopped child has to unwind (remove its scratch, let git drop its locks)."""
_NICE = 10
"""The child's niceness: on a busy machine the UI gets the CPU first (the analysis is the wait
the reader expects; a key that does not answer is not)."""
_POLL = 0.05
"""Seconds between looks at whether the app has cancelled the worker reading the events."""


class ChildFailed(ReviewerError):
    """The analysis process stopped on an error, or ended without a word."""


class _Sender:
    """Pickles what goes up the pipe; what the other side holds already goes as a reference."""

    def __init__(self, conn: Connection, thread: Thread) -> None:
        self._conn = conn
        self._known: dict[int, int] = {id(thread): 0}
        """id of an object sent (or equal to one sent) -> its number on the other side."""
        self._sent = 1
        self._kept: list[object] = [thread]
        """Keeps each object in ``_known`` alive, so that its id is never another's."""
        self._latest: dict[str, RevisionReview] = {}

    def send(self, kind: str, payload: object) -> None:
        known = self._known
        new: list[RevisionReview] = []
        for rr in _revision_reviews(payload):
            if id(rr) in known:
                continue
            latest = self._latest.get(rr.revision.id)
            if latest is not None and latest == rr:  # rebuilt, unchanged: the other side's will do
                known[id(rr)] = known[id(latest)]
                self._kept.append(rr)
            else:
                new.append(rr)
        # A revision's verdicts (their traces) are most of its bytes: each goes ahead on its
        # own, so that the app unpickles many small pieces (the interpreter lock is free between
        # them for the UI thread) rather than one piece of half a megabyte.
        for rr in new:
            for verdict in rr.sim_verdicts:
                if id(verdict) not in known:
                    self._dump("part", verdict)
                    self._number(verdict)
        self._dump(kind, payload)
        for rr in new:  # numbered as the receiver numbers what it had to unpickle
            if id(rr) not in known:
                self._number(rr)
            self._latest[rr.revision.id] = rr

    def _dump(self, kind: str, payload: object) -> None:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        known = self._known
        pickler.persistent_id = lambda obj: known.get(id(obj))  # type: ignore[method-assign]
        pickler.dump((kind, payload))
        self._conn.send_bytes(buffer.getbuffer())

    def _number(self, obj: object) -> None:
        self._known[id(obj)] = self._sent
        self._sent += 1
        self._kept.append(obj)


class _Receiver:
    """Unpickles what came down the pipe, resolving references as the sender numbered them."""

    def __init__(self, thread: Thread) -> None:
        self._table: list[object] = [thread]
        self._ids = {id(thread)}

    def load(self, data: bytes) -> tuple[str, Any]:
        unpickler = pickle.Unpickler(io.BytesIO(data))
        unpickler.persistent_load = self._table.__getitem__  # type: ignore[method-assign]
        kind, payload = unpickler.load()
        if kind == "part":
            self._add(payload)
        for rr in _revision_reviews(payload):
            if id(rr) not in self._ids:
                self._add(rr)
        return kind, payload

    def _add(self, obj: object) -> None:
        self._ids.add(id(obj))
        self._table.append(obj)


def _revision_reviews(payload: object) -> list[RevisionReview]:
    """The revisions' results in ``payload``, in an order both sides agree on."""
    if isinstance(payload, RevisionAnalysed):
        return [*payload.review.revisions, payload.revision]
    return list(payload.revisions) if isinstance(payload, Review) else []


class _PipeProgress:
    """The child's Progress: each call goes up the pipe, to be replayed on the app's."""

    def __init__(self, sender: _Sender) -> None:
        self._sender = sender

    def stage(self, name: str, total: int | None = None) -> None:
        self._sender.send("stage", (name, total))

    def advance(self, detail: str = "") -> None:
        self._sender.send("advance", detail)

    def note(self, text: str) -> None:
        self._sender.send("note", text)


def _child_main(conn: Connection, opened: OpenedThread, cfg: Config, tree: Path | None) -> None:
    os.setpgid(0, 0)
    # When the cores are busy, the reader's keys come before the analysis.
    os.nice(_NICE)
    # A suite or shell that started us in the background hands SIGINT down ignored; stop() needs it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    # The terminal is the app's: nothing the analysis (or a git it runs) prints may reach it.
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    sender = _Sender(conn, opened.thread)
    try:
        for event in stream_review(opened, cfg, tree=tree, progress=_PipeProgress(sender)):
            sender.send("event", event)
        sender.send("done", None)
    except (KeyboardInterrupt, BrokenPipeError):
        pass  # stopped by the app, or the app is gone: the pipeline has unwound
    except ReviewerError as exc:
        sender.send("failed", str(exc))
    except Exception as exc:  # reported in the status line, as the in-process worker does
        sender.send("failed", f"{type(exc).__name__}: {exc}")


class ChildAnalysis:
    """Starts the review of ``opened`` in a child process at once; calling it (the app's
    ``Analyse``) yields the child's events; :meth:`stop` (or leaving the ``with``) ends it."""

    def __init__(self, opened: OpenedThread, cfg: Config, *, tree: Path | None) -> None:
        self._opened = opened
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        self._process = context.Process(target=_child_main, args=(child_end, opened, cfg, tree),
                                        name="reviewer-analysis", daemon=True)
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork() in a process with threads on stderr, i.e. on the
            # reader's terminal; the threads retrieval ran (rich's refresh) have ended by now.
            warnings.simplefilter("ignore", DeprecationWarning)
            self._process.start()
        child_end.close()
        pid = self._process.pid
        assert pid is not None
        self.pid = pid
        with contextlib.suppress(OSError):  # the child has done it already, or has ended
            os.setpgid(pid, pid)  # as the child does: whichever runs first, stop() finds the group
        self._stopped = False

    def __enter__(self) -> ChildAnalysis:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __call__(self, progress: Progress) -> Generator[ReviewEvent, None, None]:
        return self._events(progress)

    def _events(self, progress: Progress) -> Generator[ReviewEvent, None, None]:
        receiver = _Receiver(self._opened.thread)
        try:
            while True:
                if not self._conn.poll(_POLL):
                    if _cancelled():
                        return
                    continue
                try:
                    data = self._conn.recv_bytes()
                except EOFError:
                    if self._stopped:
                        return
                    self._process.join(_STOP_GRACE)
                    raise ChildFailed(f"the analysis process ended without finishing "
                                      f"(exit status {self._process.exitcode})") from None
                kind, payload = receiver.load(data)
                if kind == "event":
                    yield payload
                elif kind == "stage":
                    progress.stage(*payload)
                elif kind == "advance":
                    progress.advance(payload)
                elif kind == "note":
                    progress.note(payload)
                elif kind == "failed":
                    raise ChildFailed(payload)
                elif kind == "part":
                    continue  # kept by the receiver for the event that refers to it
                else:  # "done"
                    return
        finally:
            self.stop()

    @property
    def running(self) -> bool:
        return self._process.is_alive()

    def stop(self) -> None:
        """Interrupt the child as Ctrl-C would and wait for it to unwind; kill it if it will not."""
        if self._stopped:
            return
        self._stopped = True
        if self._process.is_alive():
            _signal_group(self.pid, signal.SIGINT)
            self._process.join(_STOP_GRACE)
            if self._process.is_alive():
                _signal_group(self.pid, signal.SIGKILL)
                self._process.join()
        self._conn.close()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _cancelled() -> bool:
    """Whether the app cancelled the worker reading the events (the app is quitting)."""
    try:
        return get_current_worker().is_cancelled
    except NoActiveWorker:
        return False
