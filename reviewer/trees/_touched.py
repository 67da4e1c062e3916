"""The functions a revision changes, with their source before and after."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from ..model import FunctionImage, HunkOffset, TouchedFunction
from ..revisions import FileDiff, Hunk
from ._functions import BraceIndex, FunctionSpan, find_functions, function_at, function_named
from ._git import Git

_NAME_BEFORE_PAREN = re.compile(r"([A-Za-z_]\w*)\s*\(")

__all__ = ["touched_functions"]


def _image(
    span: FunctionSpan, path: str, lines: list[str], known: frozenset[int] | None
) -> FunctionImage:
    complete = known is None or all(n in known for n in range(span.start_line, span.end_line + 1))
    return FunctionImage(
        name=span.name,
        path=path,
        start_line=span.start_line,
        end_line=span.end_line,
        source=span.source(lines),
        complete=complete,
        problems=span.problems,
    )


def _known(known: Mapping[str, frozenset[int]] | None, path: str | None) -> frozenset[int] | None:
    """None: a real tree (everything known); else the lines a synthetic base really has."""
    return None if known is None else known.get(path or "", frozenset())


@functools.lru_cache(maxsize=8)
def _functions_of(source: str, path: str) -> tuple[FunctionSpan, ...]:
    """The definitions of one file's text: revisions of one thread share their base's file."""
    return tuple(find_functions(source, path))


def _spans_at(
    source: str, path: str, changed: Sequence[int]
) -> tuple[list[FunctionSpan], dict[str, FunctionSpan]]:
    lines = source.split("\n")
    functions = list(_functions_of(source, path))
    braces = BraceIndex(lines)
    touched: dict[str, FunctionSpan] = {}
    for line in changed:
        span = function_at(functions, lines, line, path, braces)
        if span is not None:
            touched.setdefault(span.name, span)
    return functions, touched


def _partial_from_hunk(
    f: FileDiff,
    hunk: Hunk,
    shift: int,
    pre_spans: Sequence[FunctionSpan],
    post_spans: Sequence[FunctionSpan],
    names: Sequence[str],
) -> TouchedFunction | None:
    """A function the hunk changes but a synthetic base (only the hunks' lines) cannot show
    whole: named by the hunk header, imaged by the hunk's own lines, incomplete. A hunk that
    changes only comments is taken to change no function."""
    changes_code = any(
        line[:1] in "+-" and line[1:].strip() and not line[1:].strip().startswith(("*", "/*", "//"))
        for line in hunk.lines
    )
    if not changes_code:
        return None
    old = [x + shift for x in hunk.changed_old()]
    new = [x + shift for x in hunk.changed_new()]
    if any(s.start_line <= x <= s.end_line for s in pre_spans for x in old) or any(
        s.start_line <= x <= s.end_line for s in post_spans for x in new
    ):
        return None
    m = _NAME_BEFORE_PAREN.search(hunk.section)
    if m is None or m.group(1) in names:
        return None
    name = m.group(1)

    def image(path: str | None, numbered: list[tuple[int, str]]) -> FunctionImage | None:
        if path is None or not numbered:
            return None
        first, last = numbered[0][0] + shift, numbered[-1][0] + shift
        note = f"{path}:{first}: {name} starts before the hunk; only the hunk's lines are known"
        source = "\n".join(text for _, text in numbered) + "\n"
        return FunctionImage(name, path, first, last, source, complete=False, problems=(note,))

    return TouchedFunction(
        name, f.path, image(f.old_path, hunk.old_lines), image(f.new_path, hunk.new_lines)
    )


def touched_functions(
    git: Git,
    base: str,
    commit: str,
    files: Sequence[FileDiff],
    offsets: Sequence[HunkOffset],
    known_pre: Mapping[str, frozenset[int]] | None = None,
    known_post: Mapping[str, frozenset[int]] | None = None,
) -> tuple[TouchedFunction, ...]:
    """Functions containing a changed line of a ``.c``/``.h`` file, pre-image from ``base``,
    post-image from ``commit``; ``known_*`` mark the real lines of a synthetic base."""
    moved = {(o.path, o.hunk): o.offset for o in offsets}
    out: list[TouchedFunction] = []
    for f in files:
        if not f.path.endswith((".c", ".h")):
            continue
        old_changed: list[int] = []
        new_changed: list[int] = []
        for n, hunk in enumerate(f.hunks, 1):
            shift = moved.get((f.path, n), 0)
            old_changed += [x + shift for x in hunk.changed_old()]
            new_changed += [x + shift for x in hunk.changed_new()]
        pre_src = git.blob(f"{base}:{f.old_path}") if f.old_path else None
        post_src = git.blob(f"{commit}:{f.new_path}") if f.new_path else None
        pre_text = pre_src.decode(errors="replace") if pre_src is not None else ""
        post_text = post_src.decode(errors="replace") if post_src is not None else ""
        pre_funcs, pre_touched = (
            _spans_at(pre_text, f.old_path or "", old_changed) if pre_src else ([], {})
        )
        post_funcs, post_touched = (
            _spans_at(post_text, f.new_path or "", new_changed) if post_src else ([], {})
        )
        names = list(dict.fromkeys([*pre_touched, *post_touched]))
        pre_lines, post_lines = pre_text.split("\n"), post_text.split("\n")
        for name in names:
            pre = pre_touched.get(name) or function_named(pre_funcs, name)
            post = post_touched.get(name) or function_named(post_funcs, name)
            out.append(
                TouchedFunction(
                    name=name,
                    path=f.path,
                    pre=_image(pre, f.old_path or "", pre_lines, _known(known_pre, f.old_path))
                    if pre
                    else None,
                    post=_image(post, f.new_path or "", post_lines, _known(known_post, f.new_path))
                    if post
                    else None,
                )
            )
        pre_spans, post_spans = list(pre_touched.values()), list(post_touched.values())
        # Only a synthetic base can hide a function; in a real tree a change outside every
        # function (a comment between two) touches none.
        for n, hunk in enumerate(f.hunks if known_pre is not None else (), 1):
            shift = moved.get((f.path, n), 0)
            partial = _partial_from_hunk(f, hunk, shift, pre_spans, post_spans, names)
            if partial is not None:
                names.append(partial.name)
                out.append(partial)
    return tuple(out)
