"""A base made of the hunks' own pre-images, for when no tree holds the real one.

Each touched file becomes a blob whose pre-image lines sit at the line numbers the hunks name;
the other lines are filler. Filler is blank, except that a block which starts inside a C
comment (its first comment token is ``*/``) gets a ``/*`` line before it, and one that ends
inside a comment gets a `` */`` after it, so a C parser sees the blocks as the source had them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

from ..revisions import FileDiff
from ._git import EMPTY_TREE, Git
from ._graft import Entry, graft

__all__ = [
    "SYNTHETIC_SUBJECT",
    "KnownLines",
    "build_synthetic_base",
    "layout_file",
    "preimage_lines",
    "reviewer_commit",
    "signature_hints",
]

KnownLines = Mapping[str, frozenset[int]]
"""Per path, the 1-based lines whose text came from a hunk (everything else is filler)."""

SYNTHETIC_SUBJECT = "reviewer: synthetic base from the hunks' pre-images"
"""Subject of every synthetic base commit (how a later reader knows a tree is made up)."""

_COMMENT_TOKEN = re.compile(r"/\*|\*/")
_CONTINUATION = re.compile(r"^\s\*(?:\s|$)")
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def preimage_lines(files: Iterable[FileDiff]) -> dict[str, dict[int, str]]:
    """Per pre-image path, line number -> text, from every hunk (first hunk wins on overlap)."""
    out: dict[str, dict[int, str]] = {}
    for f in files:
        if f.old_path is None:
            continue
        lines = out.setdefault(f.old_path, {})
        for hunk in f.hunks:
            for n, text in hunk.old_lines:
                lines.setdefault(n, text)
    return out


def signature_hints(files: Iterable[FileDiff]) -> dict[str, dict[int, str]]:
    """Signature lines a synthetic base may place right above a hunk that opens with ``{``.

    git puts the enclosing function's first line after ``@@``; when the hunk's first pre-image
    line is the kernel-style ``{`` the signature is almost always the line above. These lines are
    not marked known unless :func:`whole_signature` shows the header holds the whole of it.
    """
    out: dict[str, dict[int, str]] = {}
    for f in files:
        for hunk in f.hunks:
            old = hunk.old_lines
            if (
                f.old_path
                and old
                and old[0][1].strip() == "{"
                and "(" in hunk.section
                and old[0][0] > 1
            ):
                out.setdefault(f.old_path, {})[old[0][0] - 1] = hunk.section
    return out


def whole_signature(section: str) -> bool:
    """A hunk-header function line that is a complete one-line C signature: its parentheses
    balance and it ends with the closing one (git cuts long header lines, which then fail this).
    A hint that passes is as good as a hunk line: the header is the base's own text."""
    text = section.strip()
    if not text.endswith(")"):
        return False
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _blocks(lines: Mapping[int, str]) -> list[tuple[int, int]]:
    """Runs of consecutive known line numbers, as (first, last)."""
    out: list[tuple[int, int]] = []
    for n in sorted(lines):
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _starts_inside_comment(texts: Sequence[str]) -> bool:
    """A run opening with a `` * text`` continuation line or whose first token is ``*/``."""
    if texts and _CONTINUATION.match(texts[0]):
        return True
    tokens = [t for line in texts for t in _COMMENT_TOKEN.findall(line)]
    return bool(tokens) and tokens[0] == "*/"


def _ends_inside_comment(texts: Sequence[str], inside: bool) -> bool:
    for line in texts:
        for token in _COMMENT_TOKEN.findall(line):
            inside = token == "/*"
    return inside


def layout_file(lines: Mapping[int, str], hints: Mapping[int, str] | None = None) -> str:
    """The file text: known lines at their numbers, ``hints`` where no known line is, filler
    elsewhere."""
    if hints:
        lines = {**hints, **lines}
    if not lines:
        return ""
    total = max(lines)
    text = [""] * (total + 2)  # index 0 unused; one spare line for a closing " */"
    inside = False
    previous_last = 0
    for first, last in _blocks(lines):
        run = [lines[n] for n in range(first, last + 1)]
        starts_inside = _starts_inside_comment(run)
        if starts_inside and not inside and first - 1 > previous_last:
            text[first - 1] = "/*"
        elif inside and not starts_inside and first - 1 > previous_last:
            text[previous_last + 1] = " */"
        inside = _ends_inside_comment(run, starts_inside)
        previous_last = last
    if inside:
        text[total + 1] = " */"
    for n, value in lines.items():
        text[n] = value
    if not text[-1]:
        text.pop()
    return "\n".join(text[1:]) + "\n"


def reviewer_commit(git: Git, tree: str, message: str, *, parent: str | None = None) -> str:
    """A commit of the tool's own (a made-up base): fixed identity and date, so the same tree
    and message give the same commit id on every run."""
    stamp = f"{int(_EPOCH.timestamp())} +0000"
    env = {
        "GIT_AUTHOR_NAME": "reviewer",
        "GIT_AUTHOR_EMAIL": "reviewer@localhost",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": "reviewer",
        "GIT_COMMITTER_EMAIL": "reviewer@localhost",
        "GIT_COMMITTER_DATE": stamp,
    }
    parents = ["-p", parent] if parent else []
    return git.with_env(**env).out("commit-tree", "--no-gpg-sign", tree, *parents, "-m", message)


def build_synthetic_base(git: Git, files: Sequence[FileDiff]) -> tuple[str, KnownLines]:
    """A commit holding the pre-images of ``files``; and which lines are real."""
    changes: dict[str, Entry | None] = {}
    known: dict[str, frozenset[int]] = {}
    hints = signature_hints(files)
    for path, lines in preimage_lines(files).items():
        text = layout_file(lines, hints.get(path))
        blob = git.out("hash-object", "-w", "--stdin", input=text.encode())
        changes[path] = ("100644", blob)
        whole = {n for n, section in hints.get(path, {}).items() if whole_signature(section)}
        known[path] = frozenset(lines) | whole
    tree = graft(git, EMPTY_TREE, changes)
    return reviewer_commit(git, tree, SYNTHETIC_SUBJECT), known
