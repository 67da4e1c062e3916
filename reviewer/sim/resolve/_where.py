"""Where a name may be defined, asked of raw text before anything is preprocessed.

Preprocessing a header with pcpp costs 20-50 ms; a kernel file includes hundreds. A resolution
therefore walks the includes on raw text and preprocesses only the files that pass the test for
the kind of name sought (a superset: the preprocessed file's symbols decide). The same tests,
as ``git grep -E`` patterns, find candidates tree-wide when the includes do not have the name.
The grep patterns are anchored on the name or a literal (no leading ``.*``): an unanchored
``^[A-Za-z_].*\\bname`` takes seconds per name over a whole kernel tree.
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["grep_patterns", "may_define", "raw_includes"]

_INCLUDE = re.compile(r"^[ \t]*#[ \t]*include[ \t]*([<\"])([^>\"\n]+)[>\"]", re.M)
_S = "[[:space:]]"
_ENUM_BODY = re.compile(r"\benum\b[^;{}()]*\{([^}]*)\}")


@lru_cache(maxsize=4096)
def _text_test(name: str, kind: str) -> re.Pattern[str]:
    n = re.escape(name)
    tests = {
        "function": rf"\b{n}[ \t]*\(",
        "macro": rf"^[ \t]*#[ \t]*define[ \t]+{n}\b",
        # an enumerator: first in its list or after a comma, then "=", "," or the list's end
        "enum": rf"(?:^|[{{,])\s*{n}\s*(?:=|,|$)",
        # file-scope declarations start at column 0 (DEFINE_PER_CPU(...), static keys too)
        "global": rf"^[A-Za-z_].*\b{n}\b",
        "struct": rf"\bstruct[ \t]+{n}\b",
    }
    return re.compile(tests[kind], re.M)


def may_define(text: str, name: str, kind: str) -> bool:
    """Whether ``text`` may define ``name`` as a ``kind``: it names it where a definition
    would, or pastes tokens and names a piece of it (``PAGEFLAG(Head, head)`` makes
    ``PageHead`` out of ``Page##uname``)."""
    if name in text:
        test = _text_test(name, kind)
        if kind == "enum":  # inside the braces of an enum, not a statement "i = 0;"
            if any(test.search(body.group(1)) for body in _ENUM_BODY.finditer(text)):
                return True
        elif test.search(text) is not None:
            return True
    return kind in ("function", "enum") and "##" in text and _pieces(name).search(text) is not None


@lru_cache(maxsize=4096)
def _pieces(name: str) -> re.Pattern[str]:
    """The words a pasted ``name`` may have been made of: its prefixes and suffixes cut at an
    underscore or a capital (``PageHead``: ``Page``, ``Head``; ``PG_head``: ``PG``, ``head``)."""
    cuts = [i for i in range(1, len(name))
            if name[i - 1] == "_" or name[i] == "_" or (name[i].isupper() and name[i - 1].islower())]
    pieces = {p.strip("_") for i in cuts for p in (name[:i], name[i:])}
    words = sorted(p for p in pieces if len(p) >= 2)
    if not words:
        return re.compile(r"(?!)")
    return re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b")


def grep_patterns(name: str, kind: str) -> list[str]:
    """``git grep -E`` patterns for lines that may define ``name`` as a ``kind``."""
    n = re.escape(name)
    return {
        "function": [rf"\b{n}{_S}*\("],
        "macro": [rf"^{_S}*#{_S}*define{_S}+{n}\b"],
        "enum": [rf"^{_S}*{n}{_S}*(=|,|$)"],
        "global": [rf"[[:space:]*]{n}{_S}*(=|;|\[)", rf"PER_CPU[A-Z_]*\(.*\b{n}\)",
                   rf"_STATIC_KEY_[A-Z_]*\({_S}*{n}\b"],
        "struct": [rf"struct{_S}+{n}{_S}*\{{"],
    }[kind]


def raw_includes(text: str) -> list[tuple[bool, str]]:
    """``(system, path)`` of every ``#include`` in ``text``, conditionals not evaluated."""
    return [(m.group(1) == "<", m.group(2).strip()) for m in _INCLUDE.finditer(text)]
