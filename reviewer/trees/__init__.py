"""Trees: each revision applied to a kernel git tree (or a synthetic base) without touching the
user's checkout; touched functions before and after; callee lookup for the simulator."""

from __future__ import annotations

from ._functions import FunctionSpan, find_functions
from ._git import hardened_env
from ._lookup import SourceLookup
from ._revision import apply_all, apply_revision, apply_synthetic, revision_ref, scratch_repo
from ._synthetic import layout_file, preimage_lines

__all__ = [
    "FunctionSpan",
    "SourceLookup",
    "apply_all",
    "apply_revision",
    "apply_synthetic",
    "find_functions",
    "hardened_env",
    "layout_file",
    "preimage_lines",
    "revision_ref",
    "scratch_repo",
]
