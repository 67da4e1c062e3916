"""One tree-sitter C parser for every stage that reads kernel C (trees, simulator, checks)."""

from __future__ import annotations

from functools import lru_cache

import tree_sitter
import tree_sitter_c

__all__ = ["c_language", "c_parser", "parse_c"]


@lru_cache(maxsize=1)
def c_language() -> tree_sitter.Language:
    return tree_sitter.Language(tree_sitter_c.language())


def c_parser() -> tree_sitter.Parser:
    """A new parser (parsers are cheap; a Tree outlives its parser)."""
    return tree_sitter.Parser(c_language())


def parse_c(source: str | bytes) -> tree_sitter.Tree:
    data = source.encode() if isinstance(source, str) else source
    return c_parser().parse(data)
