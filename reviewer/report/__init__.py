"""The batch report views of a Review: rich text, Markdown, JSON (schema reviewer/1), and the
exit status policy. Views only: nothing here recomputes analysis."""

from __future__ import annotations

from ..model import Review
from ._common import introduces, latest_revision
from .json_view import SCHEMA, SCHEMA_ID, review_to_json, schema_path
from .markdown_view import render_markdown
from .text_view import render_text

__all__ = [
    "SCHEMA",
    "SCHEMA_ID",
    "exit_status",
    "render_markdown",
    "render_text",
    "review_to_json",
    "schema_path",
]


def exit_status(review: Review) -> int:
    """0 when the latest revision introduces nothing; 1 when it introduces simulator violations
    or error/warning findings (status introduced), or when it does not apply: a revision that
    could not be analysed cannot be said to introduce nothing."""
    latest = latest_revision(review)
    if latest is None:
        return 0
    not_applied = latest.applied is None or not latest.applied.applied
    return 1 if not_applied or introduces(latest) else 0
