"""The TUI paints the thread before any analysis, then shows verdicts revision by revision, on
the real pipeline's stream; at the end it holds the very Review the batch report prints."""

from __future__ import annotations

from pathlib import Path

from _tui_env import SEED, Gate, drive, live, settle
from textual.pilot import Pilot

from reviewer._config import Config
from reviewer.model import Stance
from reviewer.pipeline import (
    OpenedThread,
    ReviewRequest,
    RevisionAnalysed,
    open_thread,
    review_thread,
    stream_review,
)
from reviewer.testtree import build_test_tree
from reviewer.tui import ReviewerApp
from reviewer.tui.widgets.message_pane import MessagePane
from reviewer.tui.widgets.thread_pane import ThreadPane


def _main(app: ReviewerApp) -> tuple[ThreadPane, MessagePane]:
    return app.screen.query_one(ThreadPane), app.screen.query_one(MessagePane)


def _row_text(pane: ThreadPane, message_id: str) -> str:
    return str(pane.get_row(message_id)[0])


def test_thread_paints_before_analysis_and_cards_arrive_revision_by_revision(seed_opened: OpenedThread) -> None:
    thread = seed_opened.thread
    v1, v2, sketch = seed_opened.revisions
    first_ack = next(m for m in thread.messages if m.author.name == "Hugh Dickins")
    nak = next(m for m in thread.messages if any(p.stance is Stance.NAK for p in m.positions))
    gate = Gate()
    app = ReviewerApp(seed_opened, analyse=live(seed_opened, gate))

    async def script(pilot: Pilot[None]) -> None:
        threads, messages = _main(app)
        # painted at once: every message, the revisions they carry (not analysed yet), no verdicts
        assert threads.row_count == len(thread.messages)
        assert "[v1]" in _row_text(threads, thread.root) and "[sketch]" in _row_text(threads, sketch.message_id)
        assert app.state.analysed == 0 and gate.pulled == 0 and not app.state.review.comments
        assert messages.message_id == thread.root and not messages.cards

        gate.release()  # v1 is analysed; v2 has not started
        await settle(pilot, lambda: app.state.analysed == 1)
        assert gate.pulled == 1
        app.screen.select(first_ack.message_id)  # type: ignore[attr-defined]
        await pilot.pause()
        assert messages.cards, "v1's verdicts beside the comments that answer v1"
        assert {c.card.revision_id for c in messages.cards} == {v1.id}
        app.screen.select(nak.message_id)  # type: ignore[attr-defined]
        await pilot.pause()
        assert not messages.cards, "nothing beside comments on v2 before v2 is analysed"
        assert "1 analysed" in str(app.screen.query_one("#title").render())

        gate.release()  # v2; the sketch still waits
        await settle(pilot, lambda: app.state.analysed == 2)
        assert gate.pulled == 2
        await settle(pilot, lambda: bool(messages.cards))
        assert {c.card.revision_id for c in messages.cards} == {v2.id}
        assert "charge-leak" in {c.card.group.what for c in messages.cards}
        assert not app.state.complete

        gate.release(2)  # the sketch, then the final Review
        await settle(pilot, lambda: app.state.complete)
        assert "revisions analysed" in app.state.status
        assert "[sketch]" in _row_text(threads, sketch.message_id)

    drive(app, script)
    assert gate.closed.wait(10)


def test_the_tui_ends_with_the_batch_review(tmp_path: Path) -> None:
    """Batch mode and the TUI consume one stream: the same Review, equal field by field."""
    cfg = Config()
    request = ReviewRequest(str(SEED), offline=True)
    opened = open_thread(request, cfg)
    tree = build_test_tree(opened.thread, tmp_path / "linux")
    batch = review_thread(ReviewRequest(str(SEED), tree=tree, offline=True), cfg)
    gate = Gate()
    gate.release(100)
    app = ReviewerApp(opened, analyse=live(opened, gate, tree=tree, cfg=cfg))

    async def script(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: app.state.complete)

    drive(app, script)
    assert app.state.review == batch
    assert batch.comments and any(cr.links for cr in batch.comments)


def test_every_partial_review_grows_towards_the_final_one(seed_opened: OpenedThread) -> None:
    """What each revision's event carries: the revisions so far, comments linked to them only."""
    events = list(stream_review(seed_opened, Config(), tree=None))
    partial = [e for e in events if isinstance(e, RevisionAnalysed)]
    final = events[-1]
    assert [e.done for e in partial] == [1, 2, 3] and {e.total for e in partial} == {3}
    assert not isinstance(final, RevisionAnalysed)
    for e in partial:
        analysed = {rr.revision.id for rr in e.review.revisions}
        assert e.revision.revision.id in analysed
        assert all(link.revision_id in analysed for cr in e.review.comments for link in cr.links)
    assert partial[-1].review == final
