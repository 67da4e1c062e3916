"""Trees: each revision applied to a kernel git tree (or a synthetic base) without touching the
user's checkout; touched functions before and after (callees are resolved by
:mod:`reviewer.sim.resolve`)."""

from __future__ import annotations

from ._facts import FactKey, FactStore
from ._functions import FunctionSpan, find_functions
from ._git import Git, git_env, hardened_env, open_repo
from ._revision import apply_all, apply_revision, apply_synthetic, revision_ref, scratch_repo
from ._search import GrepHit, TreeSearch
from ._synthetic import layout_file, preimage_lines

__all__ = [
    "FactKey",
    "FactStore",
    "FunctionSpan",
    "Git",
    "GrepHit",
    "TreeSearch",
    "apply_all",
    "apply_revision",
    "apply_synthetic",
    "find_functions",
    "git_env",
    "hardened_env",
    "layout_file",
    "open_repo",
    "preimage_lines",
    "revision_ref",
    "scratch_repo",
]
