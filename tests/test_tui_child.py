"""The TUI's analysis in a child process (reviewer/tui/child.py): the same events as the pipeline
in this process, revisions already sent not sent again, errors in the status line, and a quit
mid-review that leaves what batch mode's Ctrl-C leaves. Real pipeline, real trees, real processes."""

from __future__ import annotations

import os
import pickle
import time
from pathlib import Path

from _cli_env import Cli
from _tui_env import SEED, drive, settle
from test_cli_tree import _snapshot, _user_repo
from textual.pilot import Pilot

from reviewer._config import ChecksConfig, Config, load_config
from reviewer.model import Review
from reviewer.pipeline import (
    OpenedThread,
    ReviewEvent,
    ReviewRequest,
    RevisionAnalysed,
    open_thread,
    stream_review,
)
from reviewer.testtree import build_test_tree
from reviewer.tui import ReviewerApp
from reviewer.tui.child import ChildAnalysis, _Receiver, _Sender
from reviewer.tui.widgets.status_line import StatusLine


class Recorder:
    """A Progress that keeps every call, to compare with what the child forwarded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def stage(self, name: str, total: int | None = None) -> None:
        self.calls.append(("stage", (name, total)))

    def advance(self, detail: str = "") -> None:
        self.calls.append(("advance", detail))

    def note(self, text: str) -> None:
        self.calls.append(("note", text))


def _review(event: ReviewEvent) -> Review:
    return event.review if isinstance(event, RevisionAnalysed) else event


def test_the_child_streams_what_the_pipeline_streams_here(cli: Cli, tmp_path: Path) -> None:
    cfg = load_config(cli.config)
    opened = open_thread(ReviewRequest(str(SEED), offline=True), cfg)
    tree = build_test_tree(opened.thread, tmp_path / "linux")
    here_progress, child_progress = Recorder(), Recorder()
    here = list(stream_review(opened, cfg, tree=tree, progress=here_progress))
    with ChildAnalysis(opened, cfg, tree=tree) as child:
        got = list(child(child_progress))
        assert not child.running, "the child ends with its stream"
    assert got == here and len(got) == len(opened.revisions) + 1
    assert child_progress.calls == here_progress.calls
    assert ("stage", ("analyse", len(opened.revisions))) in child_progress.calls
    # What the app already holds is not sent again: the thread is the app's own, and a revision
    # whose results an earlier event carried unchanged is that very object in every later one.
    seen: dict[str, object] = {}
    reused = 0
    for event in got:
        review = _review(event)
        assert review.thread is opened.thread
        for rr in review.revisions:
            earlier = seen.get(rr.revision.id)
            if earlier == rr:
                assert earlier is rr
                reused += 1
            seen[rr.revision.id] = rr
    assert reused >= len(opened.revisions)


class Wire:
    """What the child writes to its pipe, message by message."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    def send_bytes(self, data: bytes) -> None:
        self.messages.append(bytes(data))


def test_the_wire_carries_each_revision_once_in_small_pieces(seed_opened: OpenedThread,
                                                               seed_events: list[ReviewEvent]) -> None:
    """The app unpickles what comes, holding the interpreter lock while it does: no piece may be
    big (a revision's verdicts go one by one), and nothing sent once is sent again."""
    wire = Wire()
    sender = _Sender(wire, seed_opened.thread)  # type: ignore[arg-type]
    receiver = _Receiver(seed_opened.thread)
    final = seed_events[-1]
    assert isinstance(final, Review)
    verdict_sizes = [len(pickle.dumps(v)) for rr in final.revisions for v in rr.sim_verdicts]
    got, sent = [], 0
    for event in seed_events:
        sender.send("event", event)
        for data in wire.messages:
            kind, payload = receiver.load(data)
            if kind == "event":
                got.append(payload)
        # no piece bigger than one verdict (and the events themselves small once those went ahead)
        assert max(len(m) for m in wire.messages) <= max(verdict_sizes) + 8192
        sent += sum(len(m) for m in wire.messages)
        wire.messages.clear()
    assert got == seed_events
    assert sent < sum(len(pickle.dumps(e)) for e in seed_events) / 2, "each revision sent once"


def test_stopping_the_child_mid_review_leaves_whole_refs_and_no_scratch(cli: Cli, tmp_path: Path) -> None:
    tree = _user_repo(tmp_path / "linux")
    before = _snapshot(tree)
    cfg = load_config(cli.config)
    opened = open_thread(ReviewRequest(str(SEED), tree=tree, offline=True), cfg)
    child = ChildAnalysis(opened, cfg, tree=tree)
    assert os.getpgid(child.pid) == child.pid, "its own process group, git's commands in it"
    events = child(Recorder())
    first = next(events)
    assert isinstance(first, RevisionAnalysed) and first.done == 1
    started = time.monotonic()
    events.close()  # the app's worker closes its stream when the app quits
    assert not child.running and time.monotonic() - started < 10
    # (reviewer.lock is the review's own flock file: it stays, and is free once the child is gone)
    locks = [p for p in (tree / ".git").rglob("*.lock") if p.name != "reviewer.lock"]
    assert not locks, "git's lock files removed"
    assert not list((tmp_path / "tmp").glob("reviewer-*")), "scratch directories removed"
    after = _snapshot(tree)
    new = {r: c for r, c in after["refs"].items() if r not in before["refs"]}  # type: ignore[attr-defined]
    assert new and all(r.startswith("refs/reviewer/") for r in new)
    assert {k: v for k, v in after.items() if k != "refs"} == {k: v for k, v in before.items() if k != "refs"}
    # The refs written before the stop are the very ones a whole review writes.
    assert cli.run(str(SEED), "--tree", str(tree), "--no-simulate").status == 1
    whole = _snapshot(tree)["refs"]
    assert all(whole[r] == c for r, c in new.items())  # type: ignore[index]


def test_quitting_the_app_stops_the_child(cli: Cli, seed_opened: OpenedThread) -> None:
    child = ChildAnalysis(seed_opened, load_config(cli.config), tree=None)
    app = ReviewerApp(seed_opened, analyse=child)

    async def script(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: app.state.analysed >= 1)
        await pilot.press("q")

    drive(app, script)
    assert not child.running
    assert not app.state.complete or app.state.analysed == app.state.total


def test_an_error_in_the_child_is_shown_and_the_thread_stays_readable(cli: Cli, seed_opened: OpenedThread,
                                                                      tmp_path: Path) -> None:
    broken = Config(checks=ChecksConfig(dirs=(tmp_path / "no-such-checks",)))
    with ChildAnalysis(seed_opened, broken, tree=None) as child:
        app = ReviewerApp(seed_opened, analyse=child)

        async def script(pilot: Pilot[None]) -> None:
            await settle(pilot, lambda: bool(app.state.error))
            status = app.screen.query_one(StatusLine).text
            assert status.startswith("analysis stopped: ") and "no-such-checks is not a folder" in status
            await pilot.press("n")
            assert app.is_running

        drive(app, script)
    assert not child.running
