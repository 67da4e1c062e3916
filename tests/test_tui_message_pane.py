"""The message pane keeps messages it has drawn, and has the next one ready before `n`: one box of
widgets per message, exactly one displayed, redrawn only when its cards change, at most KEEP kept."""

from __future__ import annotations

from _tui_env import drive, settle
from textual.containers import Vertical
from textual.pilot import Pilot

from reviewer.tui import ReviewerApp
from reviewer.tui.screens.main import MainScreen
from reviewer.tui.widgets.message_pane import MessagePane
from reviewer.tui.widgets.thread_pane import ThreadPane


def _boxes(pane: MessagePane) -> list[Vertical]:
    return list(pane.query_children(".message").results(Vertical))


def _displayed(pane: MessagePane) -> list[Vertical]:
    return [box for box in _boxes(pane) if box.display]


async def _ready(pilot: Pilot[None]) -> tuple[MainScreen, MessagePane, list[str]]:
    app = pilot.app
    assert isinstance(app, ReviewerApp)
    await settle(pilot, lambda: app.state.complete)
    screen = app.screen
    assert isinstance(screen, MainScreen)
    await pilot.pause()
    order = [str(k.value) for k in screen.query_one(ThreadPane).rows]
    return screen, screen.query_one(MessagePane), order


def test_the_next_message_is_mounted_before_n_and_n_shows_those_very_widgets(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        _, pane, order = await _ready(pilot)
        shown = _displayed(pane)
        assert len(shown) == 1 and pane.message_id == order[0]
        ready = [box for box in _boxes(pane) if not box.display]
        assert len(ready) == 1, "the next message, mounted hidden"
        await pilot.press("n")
        assert pane.message_id == order[1]
        assert _displayed(pane) == ready, "shown by a display toggle, not mounted again"
        await pilot.press("p")
        assert _displayed(pane) == shown, "the message before, as kept"

    drive(seed_app, script)


def test_no_more_than_keep_messages_stay_mounted(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        _, pane, order = await _ready(pilot)
        pane.KEEP = 3
        for n in range(1, 7):
            await pilot.press("n")
            await pilot.pause()
            assert pane.message_id == order[n]
            assert len(_displayed(pane)) == 1
            assert len(_boxes(pane)) <= 3
        await pilot.press("p")
        assert pane.message_id == order[5] and len(_displayed(pane)) == 1

    drive(seed_app, script)
