"""SVG snapshots (pytest-textual-snapshot) of the five views, on the seed fixture's real review,
in a pinned terminal. Few on purpose: every Textual upgrade shifts them
(``pytest --snapshot-update`` rewrites them; review the SVGs as you would a golden file)."""

from __future__ import annotations

from collections.abc import Callable

from _tui_env import SIZE, settle
from textual.pilot import Pilot

from reviewer.model import Stance
from reviewer.pipeline import OpenedThread
from reviewer.tui import ReviewerApp
from reviewer.tui.screens.main import MainScreen
from reviewer.tui.widgets.verdict_card import VerdictCard

SnapCompare = Callable[..., bool]


def _nak(opened: OpenedThread) -> str:
    return next(m.message_id for m in opened.thread.messages if any(p.stance is Stance.NAK for p in m.positions))


async def _at_the_nak(pilot: Pilot[None], opened: OpenedThread) -> MainScreen:
    app = pilot.app
    assert isinstance(app, ReviewerApp)
    await settle(pilot, lambda: app.state.complete)
    screen = app.screen
    assert isinstance(screen, MainScreen)
    screen.select(_nak(opened))
    await pilot.pause()
    return screen


async def _charge_leak_card(pilot: Pilot[None], opened: OpenedThread) -> None:
    """Walk with '.' to the NAK's comment on the memcg race and its first card, focused."""
    screen = await _at_the_nak(pilot, opened)
    screen.query_one("#thread").focus()
    for _ in range(2):
        await pilot.press(".")
    await pilot.pause()
    focused = screen.focused
    assert isinstance(focused, VerdictCard) and focused.card.group.what == "charge-leak"


def test_thread_and_message(snap_compare: SnapCompare, seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _at_the_nak(pilot, seed_opened)

    assert snap_compare(seed_app, terminal_size=SIZE, run_before=run_before)


def test_verdict_card_expanded(snap_compare: SnapCompare, seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _charge_leak_card(pilot, seed_opened)

    assert snap_compare(seed_app, terminal_size=SIZE, run_before=run_before)


def test_trace_view(snap_compare: SnapCompare, seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _charge_leak_card(pilot, seed_opened)
        await pilot.press("enter")

    assert snap_compare(seed_app, terminal_size=SIZE, run_before=run_before)


def test_revisions_screen(snap_compare: SnapCompare, seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await _at_the_nak(pilot, seed_opened)
        await pilot.press("v")

    assert snap_compare(seed_app, terminal_size=SIZE, run_before=run_before)


def test_diff_view(snap_compare: SnapCompare, seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    v2 = seed_opened.revisions[1]

    async def run_before(pilot: Pilot[None]) -> None:
        screen = await _at_the_nak(pilot, seed_opened)
        screen.select(v2.message_id)
        await pilot.press("v", "j", "j", "j", "enter")
        await pilot.pause()
        # the second hunk, where the findings and traces are marked
        pane = pilot.app.screen.query_one("#revision")
        pane.scroll_to(y=22, animate=False)

    assert snap_compare(seed_app, terminal_size=SIZE, run_before=run_before)


