"""The TUI under what goes wrong: a revision that does not apply, an analysis that fails, a
quit (q or Ctrl-C) while analysis runs, and NO_COLOR. Real pipeline, real trees, real cache."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from _cli_env import SEED_ROOT, Cli
from _lore_server import LoreServer
from _tui_env import SEED, Gate, drive, live, plain, replay, settle
from test_cli_threads import noapply_thread
from test_cli_tree import _snapshot, _user_repo
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from reviewer._config import ChecksConfig, Config, load_config
from reviewer.model import Stance
from reviewer.pipeline import OpenedThread, ReviewEvent, ReviewRequest, open_thread
from reviewer.tui import ReviewerApp
from reviewer.tui.screens.main import MainScreen
from reviewer.tui.screens.revisions import RevisionsScreen
from reviewer.tui.screens.trace import TraceScreen
from reviewer.tui.widgets.message_pane import MessagePane
from reviewer.tui.widgets.status_line import StatusLine
from reviewer.tui.widgets.thread_pane import ThreadPane
from reviewer.tui.widgets.trace_view import TraceView


def test_a_revision_that_does_not_apply_says_where_and_why_in_place(tmp_path: Path) -> None:
    mbox, tree = noapply_thread(tmp_path)
    opened = open_thread(ReviewRequest(str(mbox), tree=tree, offline=True), Config())
    v1, v2 = opened.revisions
    gate = Gate()
    gate.release(10)
    app = ReviewerApp(opened, analyse=live(opened, gate, tree=tree))

    async def script(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: app.state.complete)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        threads = screen.query_one(ThreadPane)
        assert "[v2]" in str(threads.get_row(v2.message_id)[0])
        screen.select(v2.message_id)
        await pilot.pause()
        notice = plain(screen.query_one(MessagePane).query_one(".notice", Static))
        assert "v2 does not apply: mm/widget.c hunk #1:" in notice
        await pilot.press("v")
        revisions = app.screen
        assert isinstance(revisions, RevisionsScreen)
        table: DataTable[str] = revisions.query_one(DataTable)
        applies = {str(table.get_row(r.id)[0]): str(table.get_row(r.id)[4]) for r in (v1, v2)}
        assert applies["v1"] == "yes" and applies["v2"].startswith("NO: mm/widget.c hunk #1: ")

    drive(app, script)


def test_an_analysis_that_fails_is_shown_and_the_thread_stays_readable(seed_opened: OpenedThread,
                                                                      tmp_path: Path) -> None:
    broken = Config(checks=ChecksConfig(dirs=(tmp_path / "no-such-checks",)))
    gate = Gate()
    gate.release(10)
    app = ReviewerApp(seed_opened, analyse=live(seed_opened, gate, cfg=broken))

    async def script(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: bool(app.state.error))
        status = app.screen.query_one(StatusLine).text
        assert status.startswith("analysis stopped: ") and "no-such-checks is not a folder" in status
        threads = app.screen.query_one(ThreadPane)
        await pilot.press("n", "n")
        assert threads.cursor_row == 2
        assert app.screen.query_one(MessagePane).message_id == threads.current_message()
        assert app.is_running

    drive(app, script)
    assert gate.closed.wait(10)


def _cache_files(cache: Path) -> dict[str, str]:
    return {str(p.relative_to(cache)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(cache.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quitting_during_analysis_leaves_cache_refs_and_tree_as_they_were(
        key: str, cli: Cli, lore_server: LoreServer, tmp_path: Path) -> None:
    tree = _user_repo(tmp_path / "linux")
    # A first review fetches the thread into the cache and writes its refs under refs/reviewer/.
    assert cli.run(SEED_ROOT, "--tree", str(tree), "--no-simulate").status == 1
    tree_before, cache_before = _snapshot(tree), _cache_files(cli.cache)
    cfg = load_config(cli.config)
    opened = open_thread(ReviewRequest(SEED_ROOT, tree=tree, offline=True), cfg)
    gate = Gate()
    app = ReviewerApp(opened, analyse=live(opened, gate, tree=tree, cfg=cfg))

    async def script(pilot: Pilot[None]) -> None:
        gate.release()
        await settle(pilot, lambda: app.state.analysed == 1)
        gate.release()  # the second revision is being applied, simulated and checked ...
        await pilot.press(key)  # ... when the user quits
        await pilot.pause()
        assert not app.is_running

    drive(app, script)
    assert gate.closed.wait(60), "the analysis stopped and closed its stream"
    assert gate.pulled == 2 and not app.state.complete
    assert _snapshot(tree) == tree_before
    # The thread's cache is as it was; what the analysis finished before the quit (the facts and
    # verdicts of the revision it completed) may have been added, each entry whole.
    cache_after = _cache_files(cli.cache)
    assert {k: v for k, v in cache_after.items() if k in cache_before} == cache_before
    added = [cli.cache / k for k in cache_after.keys() - cache_before.keys()]
    # Tree facts and the simulator's symbol index are keyed by object ids: whole entries only.
    stray = [p for p in added if p.relative_to(cli.cache).parts[0] not in ("trees", "sim-symbols")]
    assert not stray, stray
    for p in added:
        json.loads(p.read_text())
    scratch = tmp_path / "tmp"
    assert not list(scratch.glob("reviewer-synthetic-*")), "scratch repositories removed"


def test_quitting_on_a_fresh_tree_leaves_only_whole_refs(cli: Cli, tmp_path: Path) -> None:
    """Quit before the review is whole on a tree it never saw: the refs written by then are the
    very ones a complete review writes (nothing half-made), and nothing else changed."""
    tree = _user_repo(tmp_path / "linux")
    before = _snapshot(tree)
    cfg = load_config(cli.config)
    opened = open_thread(ReviewRequest(str(SEED), tree=tree, offline=True), cfg)
    gate = Gate()
    app = ReviewerApp(opened, analyse=live(opened, gate, tree=tree, cfg=cfg))

    async def script(pilot: Pilot[None]) -> None:
        gate.release()
        await settle(pilot, lambda: app.state.analysed == 1)
        await pilot.press("q")

    drive(app, script)
    assert gate.closed.wait(60) and not app.state.complete
    after_quit = _snapshot(tree)
    new = {r: c for r, c in after_quit["refs"].items() if r not in before["refs"]}  # type: ignore[attr-defined]
    assert new and all(r.startswith("refs/reviewer/") for r in new)
    assert {k: v for k, v in after_quit.items() if k != "refs"} == {k: v for k, v in before.items() if k != "refs"}
    assert cli.run(str(SEED), "--tree", str(tree), "--no-simulate").status == 1
    assert _snapshot(tree) == after_quit, "a complete review writes the same refs"


def test_no_color_keeps_every_mark(seed_opened: OpenedThread, seed_events: list[ReviewEvent],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = ReviewerApp(seed_opened, analyse=replay(seed_events))
    nak = next(m.message_id for m in seed_opened.thread.messages
               if any(p.stance is Stance.NAK for p in m.positions))

    async def script(pilot: Pilot[None]) -> None:
        assert app.no_color
        await settle(pilot, lambda: app.state.complete)
        screen = app.screen
        assert isinstance(screen, MainScreen)
        screen.select(nak)
        await pilot.pause()
        card = next(c for c in screen.query_one(MessagePane).cards if c.card.violation is not None)
        assert plain(card).startswith("✗ ")
        card.focus()
        await pilot.press("enter")
        trace = app.screen
        assert isinstance(trace, TraceScreen)
        assert "▶" in plain(trace.query_one(TraceView)) and trace.query_one(StatusLine).text.startswith("▶ ")

    drive(app, script)
