"""Fixes: tags verified by simulating history.

A ``Fixes:`` tag claims the named commit introduced the problem the patch fixes. This stage
checks the claim the way a reviewer would by hand, but by execution: the revision's functions
just before and at the named commit are simulated with the revision's own scenarios and
configurations, and each problem the revision fixes (or leaves in place) is placed in history.
Without a tag, one is offered by bisecting the functions' history.

:class:`FixesStage` runs it for the pipeline; :func:`describe_fixes` renders the result as short
lines for any view, :func:`describe_tag` the lines for one trailer (beside the tag in the TUI or a
draft reply), :func:`fixes_summary` a few words for a summary line.
"""

from __future__ import annotations

from ._describe import describe_fixes, describe_suggestions, describe_tag, fixes_summary
from ._lore import LoreAccess
from ._stage import HISTORY_LIMIT, FixesStage
from ._tags import FixesTag, StableHint, fixes_tags, stable_hints

__all__ = [
    "HISTORY_LIMIT",
    "FixesStage",
    "FixesTag",
    "LoreAccess",
    "StableHint",
    "describe_fixes",
    "describe_suggestions",
    "describe_tag",
    "fixes_summary",
    "fixes_tags",
    "stable_hints",
]
