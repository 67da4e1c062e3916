"""Verdicts beside comments: split replies into anchored comments, link the simulator's and
the checks' verdicts to them, follow each across later revisions, and gather the positions
given on each revision."""

from __future__ import annotations

from .addressed import addressed, ordered_revisions
from .comments import split_comments
from .linking import NEAR, CommentLinker, link_comment, link_comments
from .positions import revision_positions, vetoed
from .vocabulary import CHECK_WORDS, PROPERTY_WORDS, SCENARIO_WORDS

__all__ = [
    "CHECK_WORDS",
    "NEAR",
    "CommentLinker",
    "PROPERTY_WORDS",
    "SCENARIO_WORDS",
    "addressed",
    "link_comment",
    "link_comments",
    "ordered_revisions",
    "revision_positions",
    "split_comments",
    "vetoed",
]
