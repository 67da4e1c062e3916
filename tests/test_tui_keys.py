"""Every key of the TUI, driven through Textual's pilot on the seed fixture's real review.

The review is the real pipeline's (``seed_events``), played back at once; each test starts from
the main screen with the whole review shown.
"""

from __future__ import annotations

import re
from pathlib import Path

from _tui_env import Gate, drive, plain, replay, settle
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Static

from reviewer.model import Review, Stance
from reviewer.pipeline import OpenedThread, ReviewEvent
from reviewer.tui import ReviewerApp
from reviewer.tui.reply import NOT_COMPLETE
from reviewer.tui.screens.help import HelpScreen, key_table
from reviewer.tui.screens.main import MainScreen
from reviewer.tui.screens.revision import RevisionScreen
from reviewer.tui.screens.revisions import RevisionsScreen
from reviewer.tui.screens.trace import TraceScreen
from reviewer.tui.widgets.message_pane import MessagePane
from reviewer.tui.widgets.search_bar import SearchBar
from reviewer.tui.widgets.status_line import StatusLine
from reviewer.tui.widgets.thread_pane import ThreadPane
from reviewer.tui.widgets.trace_view import TraceView
from reviewer.tui.widgets.verdict_card import VerdictCard


async def _ready(pilot: Pilot[None]) -> MainScreen:
    app = pilot.app
    assert isinstance(app, ReviewerApp)
    await settle(pilot, lambda: app.state.complete)
    assert isinstance(app.screen, MainScreen)
    return app.screen


def _order(screen: MainScreen) -> list[str]:
    return [str(k.value) for k in screen.query_one(ThreadPane).rows]


def _current(screen: MainScreen) -> str | None:
    return screen.query_one(ThreadPane).current_message()


def _shown(screen: MainScreen) -> str | None:
    return screen.query_one(MessagePane).message_id


def _status(pilot: Pilot[None]) -> str:
    return pilot.app.screen.query_one(StatusLine).text


def _verdict_comments(review: Review, order: list[str]) -> list[tuple[str, int]]:
    """(message, first line) of every comment with a verdict, in thread-pane order."""
    rank = {mid: n for n, mid in enumerate(order)}
    found = [(cr.comment.message_id, cr.comment.first_line) for cr in review.comments if cr.links]
    return sorted(found, key=lambda c: (rank[c[0]], c[1]))


async def _scrolls_with_j_k_and_arrows(pilot: Pilot[None], pane: Widget) -> None:
    """j, ↓, j scroll ``pane`` down three lines; k, ↑ back up two."""
    await pilot.press("j", "down", "j")
    await pilot.pause()
    assert pane.scroll_y == 3
    await pilot.press("k", "up")
    await pilot.pause()
    assert pane.scroll_y == 1


def _starts_in_view(pane: Widget, section: Widget) -> bool:
    return pane.region.y <= section.region.y < pane.region.bottom


def _nak(opened: OpenedThread) -> str:
    return next(m.message_id for m in opened.thread.messages if any(p.stance is Stance.NAK for p in m.positions))


# --------------------------------------------------------------------------- thread pane


def test_n_and_p_move_between_messages(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        order = _order(screen)
        assert _shown(screen) == order[0]
        await pilot.press("n", "n")
        assert _current(screen) == order[2] and _shown(screen) == order[2]
        await pilot.press("p")
        assert _current(screen) == order[1] and _shown(screen) == order[1]
        await pilot.press("p", "p")  # stays on the first message
        assert _current(screen) == order[0]

    drive(seed_app, script)


def test_j_k_and_arrows_move_the_thread_cursor(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        order = _order(screen)
        await pilot.press("j")
        assert _current(screen) == order[1]
        await pilot.press("down")
        assert _current(screen) == order[2]
        await pilot.pause()
        assert _shown(screen) == order[2]
        await pilot.press("k")
        assert _current(screen) == order[1]
        await pilot.press("up")
        assert _current(screen) == order[0]

    drive(seed_app, script)


def test_enter_opens_the_message_at_its_first_card(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        screen.select(_nak(seed_opened))
        await pilot.pause()
        screen.query_one(ThreadPane).focus()
        await pilot.press("enter")
        focused = screen.focused
        assert isinstance(focused, VerdictCard)
        assert focused is screen.query_one(MessagePane).cards[0]
        await pilot.press("escape")  # back to the thread pane
        assert isinstance(screen.focused, ThreadPane)

    drive(seed_app, script)


# --------------------------------------------------------------------------- verdicts


def test_full_stop_and_comma_walk_every_comment_with_a_verdict(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        review = seed_app.state.review
        expected = _verdict_comments(review, _order(screen))
        assert len(expected) >= 5
        visited = []
        for _ in expected:
            await pilot.press(".")
            await pilot.pause()
            card = screen.focused
            assert isinstance(card, VerdictCard)
            c = review.comments[card.comment_index].comment
            assert _shown(screen) == c.message_id
            visited.append((c.message_id, c.first_line))
        assert visited == expected
        await pilot.press(".")
        assert _status(pilot) == "no next comment with a verdict"
        for back in reversed(expected[:-1]):
            await pilot.press("comma")
            await pilot.pause()
            card = screen.focused
            assert isinstance(card, VerdictCard)
            c = review.comments[card.comment_index].comment
            assert (c.message_id, c.first_line) == back

    drive(seed_app, script)


def test_a_focused_card_opens_up_and_enter_shows_its_trace(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        screen.select(_nak(seed_opened))
        await pilot.pause()
        cards = screen.query_one(MessagePane).cards
        card = next(c for c in cards if c.card.group.what == "charge-leak")
        folded = plain(card)
        card.focus()
        await pilot.pause()
        opened = plain(card)
        assert "why:" in folded and "addressed:" not in folded
        assert "addressed:" in opened and "enter: trace" in opened
        await pilot.press("enter")
        assert isinstance(seed_app.screen, TraceScreen)
        assert seed_app.screen.card.key == card.card.key
        await pilot.press("escape")
        assert isinstance(seed_app.screen, MainScreen)
        assert screen.focused is card

    drive(seed_app, script)


def test_t_shows_the_trace_of_the_focused_card(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        await pilot.press("t")  # the root message has no card
        assert isinstance(seed_app.screen, MainScreen) and "no verdict card" in _status(pilot)
        await pilot.press(".")
        await pilot.pause()
        card = screen.focused
        assert isinstance(card, VerdictCard)
        await pilot.press("t")
        trace = seed_app.screen
        assert isinstance(trace, TraceScreen) and trace.card == card.card
        text = plain(trace.query_one(TraceView))
        assert "CPU0" in text and "CPU1" in text
        await pilot.press("q")  # q on a screen above the main one goes back, it does not quit
        assert isinstance(seed_app.screen, MainScreen)

    drive(seed_app, script)


def test_trace_view_scrolls_with_j_k_and_arrows(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        screen.select(_nak(seed_opened))
        await pilot.pause()
        traced = [c for c in screen.query_one(MessagePane).cards if c.card.violation is not None]
        max(traced, key=lambda c: len(c.card.violation.trace)).focus()  # type: ignore[union-attr]
        await pilot.press("t")
        pane = seed_app.screen.query_one("#trace")
        assert pane.max_scroll_y > 0, "the seed's traces are longer than the screen"
        await _scrolls_with_j_k_and_arrows(pilot, pane)
        await pilot.press("escape")
        assert isinstance(seed_app.screen, MainScreen)

    drive(seed_app, script, size=(160, 24))


def test_square_brackets_go_to_the_messages_carrying_revisions(seed_app: ReviewerApp,
                                                              seed_opened: OpenedThread) -> None:
    v1, v2, sketch = seed_opened.revisions

    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        assert _current(screen) == v1.message_id
        await pilot.press("]")
        assert _current(screen) == v2.message_id and _status(pilot) == v2.label
        await pilot.press("]")
        assert _current(screen) == sketch.message_id
        await pilot.press("]")
        assert _current(screen) == sketch.message_id and _status(pilot) == "no next revision"
        await pilot.press("[", "[")
        assert _current(screen) == v1.message_id

    drive(seed_app, script)


# --------------------------------------------------------------------------- revisions


def test_v_lists_the_revisions_and_enter_opens_one(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("v")
        screen = seed_app.screen
        assert isinstance(screen, RevisionsScreen)
        table: DataTable[str] = screen.query_one(DataTable)
        labels = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        assert [r.label for r in seed_opened.revisions] == [label for label in labels if not label.startswith("base")]
        await pilot.press("j", "down", "]")
        assert table.cursor_row == 3
        await pilot.press("k", "up", "[")
        assert table.cursor_row == 0
        await pilot.press("j", "j", "enter")
        opened = seed_app.screen
        assert isinstance(opened, RevisionScreen)
        assert opened.revision_id == str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        await pilot.press("escape")
        assert seed_app.screen is screen
        await pilot.press("q")
        assert isinstance(seed_app.screen, MainScreen)

    drive(seed_app, script)


def test_D_and_c_open_the_revision_in_view_at_its_range_diff_and_checks(seed_app: ReviewerApp,
                                                                      seed_opened: OpenedThread) -> None:
    v2 = seed_opened.revisions[1]

    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        screen.select(v2.message_id)
        await pilot.pause()
        await pilot.press("D")
        await pilot.pause()
        revision = seed_app.screen
        assert isinstance(revision, RevisionScreen) and revision.revision_id == v2.id
        pane = revision.query_one("#revision")
        section = revision.query_one("#range-diff", Static)
        assert pane.scroll_y == pane.max_scroll_y > 0 and _starts_in_view(pane, section)
        assert "range-diff from the revision it supersedes" in plain(section)
        await pilot.press("escape", "c")
        await pilot.pause()
        revision = seed_app.screen
        assert isinstance(revision, RevisionScreen) and revision.section == "checks"
        assert "read-after-put" in plain(revision.query_one("#checks", Static))

    drive(seed_app, script)


def test_revision_screen_keys(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    v1, v2, sketch = seed_opened.revisions

    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("c")  # the root carries v1
        screen = seed_app.screen
        assert isinstance(screen, RevisionScreen) and screen.revision_id == v1.id
        pane = screen.query_one("#revision")
        await pilot.press("]")
        assert screen.revision_id == v2.id and pane.scroll_y == 0
        diff = plain(screen.query_one("#diff", Static))
        assert "◆ " in diff and "▸ " in diff, "v2's findings (on traced lines) and traces marked"
        await _scrolls_with_j_k_and_arrows(pilot, pane)
        await pilot.press("D")
        await pilot.pause()
        assert _starts_in_view(pane, screen.query_one("#range-diff"))
        await pilot.press("c")
        await pilot.pause()
        assert _starts_in_view(pane, screen.query_one("#checks"))
        await pilot.press("]", "[")
        assert screen.revision_id == v2.id
        await pilot.press("]")
        assert screen.revision_id == sketch.id
        await pilot.press("q")
        assert isinstance(seed_app.screen, MainScreen)

    drive(seed_app, script)


# --------------------------------------------------------------------------- the rest


def test_slash_searches_the_thread(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        bar = screen.query_one(SearchBar)
        assert not bar.display
        await pilot.press("/")
        assert bar.display and bar.has_focus
        await pilot.press(*"renege", "enter")
        await pilot.pause()
        assert not bar.display
        assert _current(screen) == _nak(seed_opened)
        assert _status(pilot).startswith("/renege: Hugh Dickins, 25 Mar")
        pane = screen.query_one(MessagePane)
        assert pane.scroll_y > 0, "the pane scrolled to the line that matched"
        await pilot.press("/", *"no such words", "enter")
        assert _status(pilot) == "/no such words: not found"
        await pilot.press("/", "escape")
        assert not bar.display

    drive(seed_app, script)


def test_r_without_draft_settings_says_so(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("r")
        assert _status(pilot) == "r: draft replies are not configured in this session"

    drive(seed_app, script)


def test_r_waits_for_the_whole_analysis_then_needs_a_terminal(seed_opened: OpenedThread,
                                                              seed_events: list[ReviewEvent],
                                                              tmp_path: Path) -> None:
    """Before every revision is in, r says it waits; after, a headless app (no terminal to hand
    to an editor) says so and writes nothing. tests/test_tui_tmux.py drives r in a terminal."""
    from reviewer._config import DraftsConfig
    from reviewer.tui import ReplySettings

    gate = Gate()
    drafts = tmp_path / "Drafts"
    settings = ReplySettings(DraftsConfig(sender="Jane Reviewer <jane@example.org>", maildir=drafts), None)
    app = ReviewerApp(seed_opened, analyse=replay(seed_events, gate), reply=settings)

    async def script(pilot: Pilot[None]) -> None:
        await pilot.pause()
        gate.release()
        await settle(pilot, lambda: app.state.analysed == 1)
        await pilot.press("r")
        assert _status(pilot) == NOT_COMPLETE
        gate.release(len(seed_events))
        await settle(pilot, lambda: app.state.complete)
        await pilot.press("r")
        assert _status(pilot).startswith("r: this terminal cannot hand the screen to an editor")
        assert not drafts.exists()

    drive(app, script)


def test_question_mark_lists_every_key(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("?")
        assert isinstance(seed_app.screen, HelpScreen)
        shown = plain(seed_app.screen.query_one("#help").query_one(Static))
        keys = {k for line in shown.split("\n") for k in line.split()}
        for key in ("j", "k", "↓", "↑", "n", "p", ".", ",", "]", "[", "enter", "esc", "q", "v", "D",
                    "t", "c", "/", "r", "?", "ctrl+c"):
            assert key in keys, key
        for close in ("escape", "q", "?"):
            if not isinstance(seed_app.screen, HelpScreen):
                await pilot.press("?")
            await pilot.press(close)
            assert isinstance(seed_app.screen, MainScreen), close

    drive(seed_app, script)


def test_help_is_read_from_the_bindings(seed_app: ReviewerApp) -> None:
    rows = key_table(seed_app.help_sections())
    described = {what for _, _, what in rows}
    assert "next comment that has a verdict" in described and "range-diff" in described
    assert all(keys and what for _, keys, what in rows)


def test_the_readme_key_table_lists_every_key(seed_app: ReviewerApp) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| keys | where | what |"):]
    table = table[: table.index("\n\n")]
    listed = set(re.findall(r"`([^`]+)`", table))
    for _, keys, _ in key_table(seed_app.help_sections()):
        for key in keys.split():
            assert key in listed, key


def test_message_pane_scrolls_with_j_k_and_arrows(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        pane = screen.query_one(MessagePane)
        screen.select(_nak(seed_opened))
        await pilot.pause()
        pane.focus()
        await _scrolls_with_j_k_and_arrows(pilot, pane)

    drive(seed_app, script)


def test_q_on_the_main_screen_quits(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not seed_app.is_running

    drive(seed_app, script)


def test_ctrl_c_quits_from_any_screen(seed_app: ReviewerApp) -> None:
    async def script(pilot: Pilot[None]) -> None:
        await _ready(pilot)
        await pilot.press("v")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert not seed_app.is_running

    drive(seed_app, script)


def test_the_mouse_selects_messages_and_opens_cards(seed_app: ReviewerApp, seed_opened: OpenedThread) -> None:
    async def script(pilot: Pilot[None]) -> None:
        screen = await _ready(pilot)
        threads = screen.query_one(ThreadPane)
        order = _order(screen)
        row = order.index(_nak(seed_opened))
        await pilot.click(ThreadPane, offset=(5, row + 1))  # + its top border
        await pilot.pause()
        assert _current(screen) == order[row] and _shown(screen) == order[row]
        assert threads.has_focus
        card = next(c for c in screen.query_one(MessagePane).cards if c.card.violation is not None)
        screen.query_one(MessagePane).scroll_to_widget(card, animate=False)
        await pilot.pause()
        await pilot.click(card)
        assert screen.focused is card
        await pilot.double_click(card)
        assert isinstance(seed_app.screen, TraceScreen)

    drive(seed_app, script)
