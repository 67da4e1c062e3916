"""ReviewerApp: the thread painted at once, the analysis streamed in a worker, screen routing.

The app holds a :class:`~.state.ReviewState` and replaces it as the worker posts results; it
never looks inside the review itself (the screens show it, the pipeline made it).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import replace

from textual import work
from textual.app import App
from textual.binding import Binding
from textual.worker import get_current_worker

from .._errors import ReviewerError
from ..pipeline import OpenedThread, ReviewEvent, RevisionAnalysed
from ..progress import Progress
from ._progress import StatusProgress, bar
from .messages import AnalysisFailed, AnalysisStatus, ReviewDone, RevisionDone
from .reply import ReplySettings
from .screens._base import ReviewScreen
from .screens.help import HelpScreen, HelpSection
from .screens.main import MainScreen
from .screens.revision import RevisionScreen
from .screens.revisions import RevisionsScreen
from .screens.trace import TraceScreen
from .state import ReviewState
from .widgets.message_pane import MessagePane
from .widgets.thread_pane import ThreadPane
from .widgets.verdict_card import VerdictCard

__all__ = ["Analyse", "ReplySettings", "ReviewerApp"]

Analyse = Callable[[Progress], Generator[ReviewEvent, None, None]]
"""Starts the analysis: the pipeline's stream_review for the opened thread, given a Progress."""


class ReviewerApp(App[None]):
    CSS_PATH = "reviewer.tcss"
    TITLE = "reviewer"
    BINDINGS = [
        Binding("ctrl+c", "quit", "quit", priority=True),
        Binding("?", "help", "help: every key"),
    ]

    def __init__(self, opened: OpenedThread, *, analyse: Analyse | None = None,
                 reply: ReplySettings | None = None) -> None:
        super().__init__()
        self.state = ReviewState.opening(opened)
        self.reply_settings = reply
        """How ``r`` writes drafts (None: no drafts in this session)."""
        self._analyse = analyse

    def on_mount(self) -> None:
        self.push_screen(MainScreen())
        if self._analyse is not None:
            self.analyse(self._analyse)

    @work(thread=True, exclusive=True, group="analysis", exit_on_error=False)
    def analyse(self, start: Analyse) -> None:
        """Run the pipeline's stream, posting each result; stop between revisions when the app
        quits (closing the stream removes its scratch repository; nothing is left half-written)."""
        worker = get_current_worker()
        stream: Generator[ReviewEvent, None, None] | None = None
        try:
            stream = start(StatusProgress(self.post_message, [r.label for r in self.state.opened.revisions]))
            for event in stream:
                if worker.is_cancelled:
                    return
                self.post_message(RevisionDone(event) if isinstance(event, RevisionAnalysed) else ReviewDone(event))
        except ReviewerError as exc:
            self.post_message(AnalysisFailed(f"analysis stopped: {exc}"))
        except Exception as exc:  # nothing the analysis raises may take the thread away from the reader
            self.post_message(AnalysisFailed(f"analysis stopped: {type(exc).__name__}: {exc}"))
        finally:
            if stream is not None:
                stream.close()

    # ------------------------------------------------------------------ results in

    def _changed(self, state: ReviewState) -> None:
        self.state = state
        for screen in self.screen_stack:
            if isinstance(screen, ReviewScreen):
                screen.state_changed()

    def on_analysis_status(self, message: AnalysisStatus) -> None:
        if not self.state.complete:
            self._changed(replace(self.state, status=message.text))

    def on_revision_done(self, message: RevisionDone) -> None:
        event = message.event
        self._changed(self.state.with_review(event.review, event.done))

    def on_review_done(self, message: ReviewDone) -> None:
        linked = sum(1 for cr in message.review.comments if cr.links)
        done = self.state.with_review(message.review, self.state.total, complete=True)
        status = f"{self.state.total} revisions analysed {bar(1, 1)} · {linked} comments with verdicts"
        self._changed(replace(done, status=status))

    def on_analysis_failed(self, message: AnalysisFailed) -> None:
        self._changed(replace(self.state, error=message.error))

    async def action_quit(self) -> None:
        """Quit; an analysis still running is stopped (in a child process, as Ctrl-C stops batch
        mode; in a thread, after the revision in progress): say what is left."""
        running = self._analyse is not None and not (self.state.complete or self.state.error)
        self.exit(message="review: analysis stopped before the end; the cache, the refs and your "
                          "tree are left whole" if running else None)

    # ------------------------------------------------------------------ screens

    def help_sections(self) -> list[HelpSection]:
        return [
            ("everywhere", [self.BINDINGS]),
            ("thread", [ThreadPane.BINDINGS, MainScreen.BINDINGS]),
            ("message", [MessagePane.BINDINGS, VerdictCard.BINDINGS]),
            ("trace", [TraceScreen.BINDINGS]),
            ("revisions", [RevisionsScreen.BINDINGS]),
            ("revision", [RevisionScreen.BINDINGS]),
        ]

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.help_sections()))
