"""Trees: each revision applied to a kernel git tree (or a synthetic base) without touching the
user's checkout; touched functions before and after (callees are resolved by
:mod:`reviewer.sim.resolve`)."""

from __future__ import annotations

from ._functions import FunctionSpan, find_functions
from ._revision import apply_all, apply_revision, apply_synthetic, revision_ref, scratch_repo
from ._synthetic import layout_file, preimage_lines

__all__ = [
    "FunctionSpan",
    "apply_all",
    "apply_revision",
    "apply_synthetic",
    "find_functions",
    "layout_file",
    "preimage_lines",
    "revision_ref",
    "scratch_repo",
]
