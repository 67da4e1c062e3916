"""The pipeline's Progress for the TUI: each event becomes status-line text posted to the app.

Called from the analysis worker thread; ``post`` is the app's thread-safe ``post_message``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from textual.message import Message

from .messages import AnalysisStatus

__all__ = ["StatusProgress", "bar"]


def bar(done: int, total: int, width: int = 8) -> str:
    filled = round(width * done / total) if total else width
    return "▰" * filled + "▱" * (width - filled)


class StatusProgress:
    def __init__(self, post: Callable[[Message], object], labels: Sequence[str]) -> None:
        self._post = post
        self._labels = list(labels)
        self._stage = ""
        self._total = 0
        self._done = 0

    def _say(self, text: str) -> None:
        self._post(AnalysisStatus(text))

    def stage(self, name: str, total: int | None = None) -> None:
        self._stage, self._total, self._done = name, total or 0, 0
        if name == "analyse":
            self._say(self._analysing())
        else:
            self._say(f"{name} …" if not total else f"{name} 0/{total} {bar(0, total)}")

    def advance(self, detail: str = "") -> None:
        self._done += 1
        if self._stage == "analyse":
            self._say(self._analysing())
        elif self._total:
            self._say(f"{self._stage} {self._done}/{self._total} {bar(self._done, self._total)}")

    def note(self, text: str) -> None:
        self._say(text)

    def _analysing(self) -> str:
        if self._done >= len(self._labels):
            return "linking comments …"
        label = self._labels[self._done]
        return (f"simulating and checking {label} · {self._done}/{len(self._labels)} revisions "
                f"{bar(self._done, len(self._labels))}")
